"""Loopback burst of online applications against ``junheng serve`` on PostgreSQL, with one
worker killed (SIGKILL) in the middle, and an exactly-once check afterwards.

    .venv/bin/python benchmarks/bench_admissions_burst.py [--applications 20000]
        [--clients 500] [--workers 2] [--pg postgresql://postgres@127.0.0.1:5432/postgres]

Creates a fresh database (dropped at the end), the tiny Zhangye dataset with Ganzhou's areas,
zones and plans, and one parent account per client. Each client signs in and then submits
applications one after another, each with its own idempotency key; a request that fails
(connection reset by the killed worker, 5xx, timeout) is retried with the same key until it is
acknowledged (303 to the application's page). When half of the applications are acknowledged,
one worker process gets SIGKILL (uvicorn's supervisor starts a new one).

Prints throughput and p50/p95/p99 latency of the acknowledged submissions (goal p99 < 500 ms
on 2 cores), retries, and the check: every acknowledged application is in the database exactly
once (one row per idempotency key, the acknowledged id is that row) and no row exists that was
not asked for.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import signal
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.admissions.web_support import YEAR, add_county, resident_id
from tests.e2e.server import free_port
from tests.web import tiny

PASSWORD = "burst-password-2026"
COUNTY = "620702"


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
    born = f"2019{1 + n % 12:02d}{1 + n % 28:02d}"
    return {"year": str(YEAR), "county_code": COUNTY, "entry_stage": "primary",
            "child_name": f"儿童{n}", "resident_id": resident_id(born, f"{n % 1000:03d}"),
            "hukou": "甘州区", "area_id": f"{COUNTY}-A{1 + n % 2}", "housing": "own",
            "category_claimed": ["hukou_house", "house", "migrant"][n % 3],
            "has_residence_permit": "1", "choice_1": f"{COUNTY}0001",
            "choice_2": f"{COUNTY}0002", "idempotency_key": key}


class Burst:
    def __init__(self, base: str, total: int) -> None:
        self.base = base
        self.total = total
        self.next = 0
        self.acked: dict[str, int] = {}  # idempotency key -> application pk
        self.latencies: list[float] = []
        self.retries = 0
        self.half = asyncio.Event()

    async def client(self, i: int) -> None:
        limits = httpx.Limits(max_connections=1)
        async with httpx.AsyncClient(base_url=self.base, timeout=30, limits=limits) as c:
            token = await self.login(c, f"139{i:08d}")
            while self.next < self.total:
                n = self.next
                self.next += 1
                key = uuid.uuid4().hex
                while True:
                    t = time.perf_counter()
                    try:
                        r = await c.post("/family/apply", data=form(key, n),
                                         headers={"X-CSRF-Token": token})
                        if r.status_code == 303 and "/family/applications/" in r.headers.get(
                                "location", ""):
                            self.latencies.append(time.perf_counter() - t)
                            self.acked[key] = int(r.headers["location"].rsplit("/", 1)[-1])
                            break
                        if r.status_code < 500:
                            raise RuntimeError(f"refused: {r.status_code} {r.text[:300]}")
                    except (httpx.TransportError, httpx.TimeoutException):
                        pass
                    self.retries += 1
                    await asyncio.sleep(0.05)
                if len(self.acked) >= self.total // 2:
                    self.half.set()

    async def login(self, c: httpx.AsyncClient, username: str) -> str:
        for _ in range(20):
            try:
                page = await c.get("/login")
                m = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
                assert m
                r = await c.post("/login", data={"username": username, "password": PASSWORD,
                                                 "csrf_token": m.group(1)})
                assert r.status_code == 303, r.status_code
                page = await c.get("/family")
                m = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
                assert m
                return m.group(1)
            except (httpx.TransportError, httpx.TimeoutException):
                await asyncio.sleep(0.2)
        raise RuntimeError("could not sign in")


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


async def run(base: str, total: int, clients: int, server_pid: int) -> Burst:
    burst = Burst(base, total)

    async def killer() -> None:
        await burst.half.wait()
        pids = worker_pids(server_pid)
        if pids:
            os.kill(pids[0], signal.SIGKILL)
            print(f"SIGKILL worker {pids[0]} at {len(burst.acked):,} acknowledged", flush=True)

    start = time.perf_counter()
    kill = asyncio.create_task(killer())
    await asyncio.gather(*(burst.client(i) for i in range(clients)))
    kill.cancel()
    burst.seconds = time.perf_counter() - start  # type: ignore[attr-defined]
    return burst


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, round(q * (len(s) - 1)))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--applications", type=int, default=20_000)
    ap.add_argument("--clients", type=int, default=500)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = ap.parse_args()

    name = f"junheng_burst_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(args.pg.replace("postgresql://", "postgresql+psycopg://"),
                             isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = args.pg.rsplit("/", 1)[0] + f"/{name}"
    log = Path(f"/tmp/{name}.log")
    proc = None
    try:
        t = time.perf_counter()
        setup(url, args.clients)
        print(f"setup: {args.clients} parent accounts in {time.perf_counter() - t:.1f} s")
        port = free_port()
        env = {**os.environ, "JUNHENG_SECRET_KEY": "burst-" + name}
        proc = subprocess.Popen(
            [sys.executable, "-m", "junheng.cli", "serve", "--db", url, "--host", "127.0.0.1",
             "--port", str(port), "--workers", str(args.workers)],
            env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(base + "/login", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError(f"server did not start; see {log}")
            time.sleep(0.3)
        burst = asyncio.run(run(base, args.applications, args.clients, proc.pid))
        lat = burst.latencies
        seconds = burst.seconds  # type: ignore[attr-defined]
        print(f"{len(burst.acked):,} applications acknowledged from {args.clients} clients, "
              f"{args.workers} workers, in {seconds:.1f} s: {len(burst.acked) / seconds:.0f}/s;"
              f" retries {burst.retries}; load average {os.getloadavg()[0]:.1f} on "
              f"{os.cpu_count()} cores")
        print(f"latency: p50 {pct(lat, .5) * 1000:.0f} ms, p95 {pct(lat, .95) * 1000:.0f} ms, "
              f"p99 {pct(lat, .99) * 1000:.0f} ms, mean {statistics.mean(lat) * 1000:.0f} ms "
              "(goal p99 < 500 ms)")
        check = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
        with check.connect() as conn:
            rows = conn.execute(sa.text(
                "SELECT id, idempotency_key FROM adm_applications")).all()
        check.dispose()
        by_key: dict[str, list[int]] = {}
        for pk, key in rows:
            by_key.setdefault(key, []).append(pk)
        missing = [k for k in burst.acked if k not in by_key]
        twice = [k for k, v in by_key.items() if len(v) > 1]
        wrong = [k for k, pk in burst.acked.items() if by_key.get(k) != [pk]]
        extra = [k for k in by_key if k not in burst.acked]
        print(f"database: {len(rows):,} rows; acknowledged but missing {len(missing)}, "
              f"twice {len(twice)}, other id {len(wrong)}, never asked for {len(extra)}")
        ok = not (missing or twice or wrong or extra) and len(rows) == args.applications
        print("exactly once: " + ("yes" if ok else "NO"))
        if not ok:
            sys.exit(1)
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


if __name__ == "__main__":
    main()
