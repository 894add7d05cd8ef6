"""Loopback burst of online applications against ``junheng serve`` on PostgreSQL, with one
worker killed (SIGKILL) in the middle, an exactly-once check and idempotent retries afterwards.

    .venv/bin/python benchmarks/bench_admissions_burst.py [--mode paced|closed|both]
        [--applications 20000] [--clients 500] [--rate 40] [--workers 2]
        [--pg postgresql://postgres@127.0.0.1:5432/postgres]

Creates a fresh database (dropped at the end), the tiny Zhangye dataset with Ganzhou's areas,
zones and plans, and one parent account per client (a client is one parent's browser session:
it signs in once, then submits). Two load models, reported separately:

- ``paced`` (the realistic one): arrivals are a Poisson process at ``--rate`` applications a
  second (seeded, so every run offers the same schedule), 20,000 over 20000/rate seconds
  (40/s: 8.3 minutes, far above any county's real peak). Each arrival is handed to a free
  session of the 500; a parent's session submits one form at a time, and between its
  submissions it is idle (the think time is the gap of the schedule, 500/rate seconds on
  average). Latency runs from the *scheduled* arrival time, so time spent waiting for a free
  session when the server falls behind counts too (no coordinated omission).
- ``closed``: the saturation figure. Every session submits again as soon as it has its answer
  (zero think time). Throughput is then the server's capacity, and by Little's law each
  request's latency is clients / throughput: it measures the queue, not the request.

Each submission carries an idempotency key; a request that fails (connection reset by the
killed worker, 5xx, timeout) is retried with the same key until acknowledged (303 to the
application's page). When half of the applications are acknowledged, one worker process gets
SIGKILL (uvicorn's supervisor starts a new one). Afterwards: every acknowledged application is
in the database exactly once (one row per key, the acknowledged id is that row, no row that was
not asked for); then 1,000 acknowledged submissions are sent again with their keys, and each
must answer with the same application and add no row.

The client is a few lines of raw HTTP/1.1 on asyncio streams (one keep-alive connection per
session), so the load generator spends far less CPU than the server on the same 2 cores; the
report gives the CPU seconds per acknowledged submission of the server processes, of the
PostgreSQL backends of this database, and of the client, with the load average.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.admissions.web_support import YEAR, add_county, resident_id
from tests.e2e.server import free_port
from tests.web import tiny

PASSWORD = "burst-password-2026"
COUNTY = "620702"
RETRY_CHECK = 1000
TICK = os.sysconf("SC_CLK_TCK")


def setup(url: str, clients: int) -> None:
    from argon2 import PasswordHasher

    from junheng.io.db import import_dataset, make_engine
    from junheng.web import security
    from junheng.web.access import Role
    from junheng.web.database import prepare
    from junheng.web.services.accounts import create_user

    # Cheap argon2 parameters for the bench accounts only (the hash records its parameters,
    # the server verifies it as any other): 500 default hashes would take two minutes.
    security._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    engine = make_engine(url)
    prepare(engine)
    import_dataset(engine, tiny.build(extra_names=False))
    add_county(engine, COUNTY)
    for i in range(clients):
        create_user(engine, f"139{i:08d}", PASSWORD, Role.PARENT, must_change_password=False)
    engine.dispose()


def form(key: str, n: int) -> dict[str, str]:
    # A distinct child for every n (birth day n // 1000 days after 2018-01-01, serial n % 1000):
    # both runs together stay inside the entry age and never repeat a 身份证号.
    born = (dt.date(2018, 1, 1) + dt.timedelta(days=n // 1000)).strftime("%Y%m%d")
    return {"year": str(YEAR), "county_code": COUNTY, "entry_stage": "primary",
            "child_name": f"儿童{n}", "resident_id": resident_id(born, f"{n % 1000:03d}"),
            "hukou": "甘州区", "area_id": f"{COUNTY}-A{1 + n % 2}", "housing": "own",
            "category_claimed": ["hukou_house", "house", "migrant"][n % 3],
            "has_residence_permit": "1", "choice_1": f"{COUNTY}0001",
            "choice_2": f"{COUNTY}0002", "idempotency_key": key}


# --- a minimal HTTP/1.1 client --------------------------------------------------------------

class Dropped(Exception):
    """The connection broke (e.g. its worker was killed) or timed out."""


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    cookies: dict[str, str]
    body: bytes


class Session:
    """One parent's browser: a keep-alive connection and its cookies."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.cookies: dict[str, str] = {}
        self.csrf = ""

    async def request(self, method: str, path: str, fields: dict[str, str] | None = None,
                      timeout: float = 30) -> Reply:
        try:
            return await asyncio.wait_for(self._request(method, path, fields), timeout)
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError):
            self.close()
            raise Dropped() from None

    async def _request(self, method: str, path: str, fields: dict[str, str] | None) -> Reply:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        body = urllib.parse.urlencode(fields).encode() if fields is not None else b""
        head = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        if self.cookies:
            head.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        if fields is not None:
            head += ["Content-Type: application/x-www-form-urlencoded",
                     f"Content-Length: {len(body)}"]
            if self.csrf:
                head.append(f"X-CSRF-Token: {self.csrf}")
        self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        status_line = await self.reader.readuntil(b"\r\n")
        status = int(status_line.split()[1])
        headers: dict[str, str] = {}
        while True:
            line = (await self.reader.readuntil(b"\r\n")).decode("latin-1").rstrip("\r\n")
            if not line:
                break
            name, _, value = line.partition(":")
            name, value = name.strip().lower(), value.strip()
            if name == "set-cookie":
                k, _, rest = value.partition("=")
                self.cookies[k] = rest.split(";", 1)[0]
            headers[name] = value
        if headers.get("transfer-encoding") == "chunked":
            parts = []
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).strip(), 16)
                parts.append(await self.reader.readexactly(size + 2))
                if size == 0:
                    break
            data = b"".join(p[:-2] for p in parts)
        else:
            data = await self.reader.readexactly(int(headers.get("content-length", "0")))
        if headers.get("connection") == "close":
            self.close()
        return Reply(status, headers, self.cookies, data)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def login(self, username: str) -> None:
        for _ in range(30):
            try:
                page = await self.request("GET", "/login")
                m = re.search(rb'name="csrf_token" value="([^"]+)"', page.body)
                assert m, page.status
                r = await self.request("POST", "/login", {
                    "username": username, "password": PASSWORD,
                    "csrf_token": m.group(1).decode()})
                assert r.status == 303, r.status
                page = await self.request("GET", "/family")
                m = re.search(rb'name="csrf_token" value="([^"]+)"', page.body)
                assert m, page.status
                self.csrf = m.group(1).decode()
                return
            except Dropped:
                await asyncio.sleep(0.2)
        raise RuntimeError("could not sign in")

    async def submit(self, key: str, n: int) -> tuple[int, int]:
        """(application pk, retries): sent again with the same key until acknowledged."""
        retries = 0
        while True:
            try:
                r = await self.request("POST", "/family/apply", form(key, n))
                location = r.headers.get("location", "")
                if r.status == 303 and "/family/applications/" in location:
                    return int(location.rsplit("/", 1)[-1]), retries
                if r.status < 500:
                    raise RuntimeError(f"refused: {r.status} {r.body[:300]!r}")
            except Dropped:
                pass
            retries += 1
            await asyncio.sleep(0.05)


# --- CPU accounting from /proc ---------------------------------------------------------------

def _cpu_ticks(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime + stime
    except (OSError, IndexError, ValueError):
        return None


def _tree(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True,
                         text=True).stdout.split()
    found = [pid]
    for child in out:
        found += _tree(int(child))
    return found


def _postgres_backends(dbname: str) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    cmd = f.read()
            except OSError:
                continue
            if cmd.startswith(b"postgres:") and f" {dbname} ".encode() in cmd:
                found.append(int(entry))
    return found


@dataclass
class CpuMeter:
    """CPU seconds of a changing set of processes: each one's last reading is kept, so a
    killed worker's time still counts."""

    seen: dict[int, int] = field(default_factory=dict)
    start: dict[int, int] = field(default_factory=dict)

    def sample(self, pids: list[int]) -> None:
        for pid in pids:
            ticks = _cpu_ticks(pid)
            if ticks is not None:
                self.start.setdefault(pid, ticks)
                self.seen[pid] = ticks

    def reset(self) -> None:
        self.start = dict(self.seen)

    def seconds(self) -> float:
        return sum(v - self.start.get(p, 0) for p, v in self.seen.items()) / TICK


def worker_pids(parent: int) -> list[int]:
    """uvicorn's worker processes under the server (spawned children running spawn_main,
    not multiprocessing's resource tracker), at any depth."""
    out = subprocess.run(["ps", "-o", "pid=,args=", "--ppid", str(parent)],
                         capture_output=True, text=True).stdout
    found: list[int] = []
    for line in out.splitlines():
        pid_text, _, cmd = line.strip().partition(" ")
        pid = int(pid_text)
        if "spawn_main" in cmd and "resource_tracker" not in cmd:
            found.append(pid)
        found += worker_pids(pid)
    return found


# --- the two load models -------------------------------------------------------------------

@dataclass
class Run:
    mode: str
    acked: dict[str, tuple[int, int, int]] = field(default_factory=dict)  # key -> pk, n, session
    latencies: list[float] = field(default_factory=list)
    retries: int = 0
    seconds: float = 0.0
    killed: str = ""
    server_cpu: float = 0.0
    db_cpu: float = 0.0
    client_cpu: float = 0.0
    load: tuple[float, float] = (0.0, 0.0)


async def burst(host: str, port: int, mode: str, total: int, clients: int, rate: float,
                server_pid: int, dbname: str, first: int, kill: bool = True,
                ) -> tuple[Run, list[Session]]:
    run = Run(mode)
    sessions = [Session(host, port) for _ in range(clients)]
    await asyncio.gather(*(s.login(f"139{i:08d}") for i, s in enumerate(sessions)))
    half = asyncio.Event()
    server, db = CpuMeter(), CpuMeter()

    def sample() -> None:
        server.sample(_tree(server_pid))
        db.sample(_postgres_backends(dbname))

    async def meter() -> None:
        while True:
            sample()
            await asyncio.sleep(0.5)

    async def killer() -> None:
        await half.wait()
        if not kill:
            return
        pids = worker_pids(server_pid)
        if pids:
            sample()
            os.kill(pids[0], signal.SIGKILL)
            run.killed = f"SIGKILL worker {pids[0]} at {len(run.acked):,} acknowledged"
            print(run.killed, flush=True)

    async def one(session: int, n: int, since: float) -> None:
        key = uuid.uuid4().hex
        pk, retries = await sessions[session].submit(key, n)
        run.latencies.append(time.perf_counter() - since)
        run.acked[key] = (pk, n, session)
        run.retries += retries
        if len(run.acked) >= total // 2:
            half.set()

    sample()
    server.reset()
    db.reset()
    cpu0, load0 = time.process_time(), os.getloadavg()[0]
    start = time.perf_counter()
    tasks = [asyncio.create_task(meter()), asyncio.create_task(killer())]
    if mode == "closed":
        counter = iter(range(first, first + total))

        async def loop(i: int) -> None:
            for n in counter:
                await one(i, n, time.perf_counter())

        await asyncio.gather(*(loop(i) for i in range(clients)))
    else:
        # The schedule: Poisson arrivals at ``rate`` (seeded); a free session takes each one.
        rng = random.Random(20260715)
        free: asyncio.Queue[int] = asyncio.Queue()
        for i in range(clients):
            free.put_nowait(i)
        pending: list[asyncio.Task[None]] = []
        due = start

        async def dispatch(n: int, at: float) -> None:
            s = await free.get()
            try:
                await one(s, n, at)
            finally:
                free.put_nowait(s)

        for n in range(first, first + total):
            due += rng.expovariate(rate)
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            pending.append(asyncio.create_task(dispatch(n, due)))
        await asyncio.gather(*pending)
    run.seconds = time.perf_counter() - start
    sample()
    for t in tasks:
        t.cancel()
    run.client_cpu = time.process_time() - cpu0
    run.server_cpu, run.db_cpu = server.seconds(), db.seconds()
    run.load = (load0, os.getloadavg()[0])
    return run, sessions


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, round(q * (len(s) - 1)))]


def report(run: Run, clients: int, workers: int, rate: float) -> None:
    n = len(run.acked)
    lat = run.latencies
    model = (f"paced: Poisson arrivals at {rate:g}/s over {clients} sessions"
             if run.mode == "paced" else
             f"closed loop, zero think time, {clients} sessions (saturation)")
    print(f"[{run.mode}] {model}; {workers} workers")
    print(f"  {n:,} acknowledged in {run.seconds:.1f} s: {n / run.seconds:.1f}/s; retries "
          f"{run.retries}; {run.killed or 'no worker killed'}")
    print(f"  latency p50 {pct(lat, .5) * 1000:.0f} ms, p95 {pct(lat, .95) * 1000:.0f} ms, "
          f"p99 {pct(lat, .99) * 1000:.0f} ms, mean {statistics.mean(lat) * 1000:.0f} ms "
          "(goal p99 < 500 ms)")
    print(f"  CPU per acknowledged submission: server {run.server_cpu / n * 1000:.2f} ms, "
          f"PostgreSQL backends {run.db_cpu / n * 1000:.2f} ms, client "
          f"{run.client_cpu / n * 1000:.2f} ms; load average {run.load[0]:.1f} -> "
          f"{run.load[1]:.1f} on {os.cpu_count()} cores", flush=True)


async def retry_check(run: Run, sessions: list[Session]) -> int:
    """Send acknowledged submissions again with their keys: each must answer its own pk."""
    sample = random.Random(7).sample(sorted(run.acked), min(RETRY_CHECK, len(run.acked)))
    wrong = 0

    async def again(key: str) -> None:
        nonlocal wrong
        pk, n, s = run.acked[key]
        got, _ = await sessions[s].submit(key, n)
        wrong += got != pk

    by_session: dict[int, list[str]] = {}
    for key in sample:
        by_session.setdefault(run.acked[key][2], []).append(key)

    async def serial(keys: list[str]) -> None:
        for key in keys:
            await again(key)

    await asyncio.gather(*(serial(keys) for keys in by_session.values()))
    for s in sessions:
        s.close()
    return wrong


def check(url: str, runs: list[Run], wrong_retries: int) -> bool:
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT id, idempotency_key FROM adm_applications")).all()
    engine.dispose()
    acked = {k: v[0] for r in runs for k, v in r.acked.items()}
    by_key: dict[str, list[int]] = {}
    for pk, key in rows:
        by_key.setdefault(key, []).append(pk)
    missing = [k for k in acked if k not in by_key]
    twice = [k for k, v in by_key.items() if len(v) > 1]
    other = [k for k, pk in acked.items() if by_key.get(k) != [pk]]
    extra = [k for k in by_key if k not in acked]
    print(f"database: {len(rows):,} rows; acknowledged but missing {len(missing)}, twice "
          f"{len(twice)}, other id {len(other)}, never asked for {len(extra)}; "
          f"{min(RETRY_CHECK, len(acked))} acknowledged submissions sent again with their "
          f"keys: {wrong_retries} answered another application")
    ok = not (missing or twice or other or extra or wrong_retries) and len(rows) == len(acked)
    print("exactly once: " + ("yes" if ok else "NO"))
    return ok


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mode", choices=["paced", "closed", "both"], default="both")
    ap.add_argument("--applications", type=int, default=20_000,
                    help="per load model (default 20,000)")
    ap.add_argument("--clients", type=int, default=500, help="parent sessions (default 500)")
    ap.add_argument("--rate", type=float, default=40.0,
                    help="paced arrivals a second (default 40: 20,000 in 8.3 minutes)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--no-kill", action="store_true",
                    help="kill no worker (to profile a worker with py-spy)")
    ap.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/postgres")
    ap.add_argument("--server-src", type=Path,
                    help="run setup and the server from this source tree (e.g. a worktree of "
                    "an earlier commit's src/) to measure a baseline side by side")
    ap.add_argument("--setup-only", nargs=2, metavar=("URL", "CLIENTS"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.setup_only:
        setup(args.setup_only[0], int(args.setup_only[1]))
        return
    env = {**os.environ}
    if args.server_src:
        env["PYTHONPATH"] = str(args.server_src.resolve())

    name = f"junheng_burst_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(args.pg.replace("postgresql://", "postgresql+psycopg://"),
                             isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = args.pg.rsplit("/", 1)[0] + f"/{name}"
    log = Path(f"/tmp/{name}.log")
    proc = None
    ok = False
    try:
        t = time.perf_counter()
        # In a process of its own: with --server-src, the schema is that code's migrations.
        subprocess.run([sys.executable, __file__, "--setup-only", url, str(args.clients)],
                       env=env, check=True)
        print(f"setup: {args.clients} parent accounts in {time.perf_counter() - t:.1f} s"
              + (f"; server from {args.server_src}" if args.server_src else ""))
        port = free_port()
        env["JUNHENG_SECRET_KEY"] = "burst-" + name
        proc = subprocess.Popen(
            [sys.executable, "-m", "junheng.cli", "serve", "--db", url, "--host", "127.0.0.1",
             "--port", str(port), "--workers", str(args.workers)],
            env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 90
        while True:
            try:
                reply = asyncio.run(Session("127.0.0.1", port).request("GET", "/login", None, 2))
                if reply.status == 200:
                    break
            except Dropped:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError(f"server did not start; see {log}")
            time.sleep(0.3)
        modes = ["paced", "closed"] if args.mode == "both" else [args.mode]
        runs: list[Run] = []
        wrong = 0
        for i, mode in enumerate(modes):
            async def go(mode: str = mode, first: int = i * args.applications) -> int:
                run, sessions = await burst("127.0.0.1", port, mode, args.applications,
                                            args.clients, args.rate, proc.pid, name, first,
                                            not args.no_kill)
                runs.append(run)
                report(run, args.clients, args.workers, args.rate)
                return await retry_check(run, sessions)

            wrong += asyncio.run(go())
        ok = check(url, runs, wrong)
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
        with admin.connect() as conn:
            conn.execute(sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
                {"n": name})
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
