"""Latency of the city and county pages under 20 (or 50) concurrent signed-in clients.

With the demo data on SQLite or PostgreSQL, starts the app with ``junheng serve`` on a
loopback port, signs in the clients, warms the cache (first requests are reported apart: they
evaluate every year), then sends requests from all clients at once until the given number is
done or the time is up, and prints the median and p99 latency per page for each client count.
Target: median < 100 ms, p99 < 300 ms.

    .venv/bin/python benchmarks/bench_web.py [--backend sqlite|postgresql] [--workers 1]
        [--clients 20,50] [--requests 2000]

PostgreSQL: a scratch database is created on JUNHENG_BENCH_PG (default
postgresql+psycopg://postgres@127.0.0.1:5432/postgres) and dropped afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from junheng.demo import generate
from junheng.io.db import import_dataset, make_engine
from junheng.web.database import prepare
from junheng.web.services.accounts import create_user
from tests.e2e.server import serve

PASSWORD = "river-lantern-load-42"
COUNTIES = ["620702", "620721", "620722", "620723", "620724", "620725"]


def pg_admin(statement: str) -> None:
    import sqlalchemy as sa

    base = os.environ.get("JUNHENG_BENCH_PG",
                          "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    engine = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(statement))
    engine.dispose()


def pg_url(name: str) -> str:
    base = os.environ.get("JUNHENG_BENCH_PG",
                          "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    return base.rsplit("/", 1)[0] + "/" + name


def setup_db(tmp: Path, backend: str) -> str:
    if backend == "postgresql":
        name = f"junheng_bench_{os.getpid()}"
        pg_admin(f"DROP DATABASE IF EXISTS {name}")
        pg_admin(f"CREATE DATABASE {name}")
        url = pg_url(name)
    else:
        url = f"sqlite:///{tmp / 'bench.sqlite'}"
    engine = make_engine(url)
    prepare(engine)
    t = time.perf_counter()
    import_dataset(engine, generate())
    print(f"demo data imported in {time.perf_counter() - t:.1f} s")
    create_user(engine, "bench", PASSWORD, "city_admin", must_change_password=False)
    engine.dispose()
    return url


async def login(client: httpx.AsyncClient) -> None:
    page = await client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    r = await client.post("/login", data={"username": "bench", "password": PASSWORD,
                                          "csrf_token": token.group(1)})
    assert r.status_code == 303, r.status_code


def server_cpu_seconds() -> float:
    """CPU time (user + system) of every process this benchmark started (the server and its
    workers): on a shared machine, CPU per request is the figure other load does not skew."""
    me = os.getpid()
    parents: dict[int, int] = {}
    cpu: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            fields = (d / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(d.name)] = int(fields[1])
        cpu[int(d.name)] = (int(fields[11]) + int(fields[12])) / tick
    total = 0.0
    for pid in cpu:
        p = pid
        while p in parents and p != me:
            p = parents[p]
        if p == me and pid != me:
            total += cpu[pid]
    return total


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, round(q * (len(s) - 1)))]


async def warm(base: str) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=120) as c:
        await login(c)
        t = time.perf_counter()
        assert (await c.get("/city")).status_code == 200
        print(f"cold /city (evaluates every year): {1000 * (time.perf_counter() - t):.0f} ms")
        for code in COUNTIES:
            t = time.perf_counter()
            assert (await c.get(f"/county/{code}")).status_code == 200
            print(f"cold /county/{code}: {1000 * (time.perf_counter() - t):.0f} ms")
        # With several workers each has its own cache: warm them all.
        for _ in range(40):
            await asyncio.gather(c.get("/city"), *(c.get(f"/county/{k}") for k in COUNTIES))


async def run(base: str, clients: int, total: int, seconds: float
              ) -> dict[str, tuple[int, float, float]]:
    limits = httpx.Limits(max_connections=1)
    pool = [httpx.AsyncClient(base_url=base, limits=limits, timeout=30) for _ in range(clients)]
    # Sign-ins hash a password (argon2, on purpose slow): a few at a time, before the clock.
    gate = asyncio.Semaphore(4)

    async def signed_in(c: httpx.AsyncClient) -> None:
        async with gate:
            await login(c)

    await asyncio.gather(*(signed_in(c) for c in pool))

    timings: dict[str, list[float]] = {"city": [], "county": []}
    errors = 0
    sent = 0
    deadline = time.perf_counter() + seconds

    async def worker(i: int, c: httpx.AsyncClient) -> None:
        nonlocal sent, errors
        n = i
        while sent < total and time.perf_counter() < deadline:
            sent += 1
            n += 1
            kind = "city" if n % 2 else "county"
            path = "/city" if kind == "city" else f"/county/{COUNTIES[n % len(COUNTIES)]}"
            t0 = time.perf_counter()
            resp = await c.get(path)
            timings[kind].append(1000 * (time.perf_counter() - t0))
            if resp.status_code != 200:
                errors += 1

    start = time.perf_counter()
    cpu0 = server_cpu_seconds()
    await asyncio.gather(*(worker(i, c) for i, c in enumerate(pool)))
    wall = time.perf_counter() - start
    cpu = server_cpu_seconds() - cpu0
    for c in pool:
        await c.aclose()
    done = sum(len(v) for v in timings.values())
    print(f"\n{clients} concurrent clients, {done} requests in {wall:.1f} s "
          f"({done / wall:.0f} req/s), {errors} errors, server CPU "
          f"{1000 * cpu / max(done, 1):.2f} ms per request")
    print(f"{'page':<8} {'n':>6} {'median ms':>10} {'p99 ms':>8} {'target':>22}")
    out = {}
    for kind, vals in timings.items():
        med, p99 = statistics.median(vals), pct(vals, 0.99)
        ok = "ok" if med < 100 and p99 < 300 else "MISSED"
        print(f"{kind:<8} {len(vals):>6} {med:>10.1f} {p99:>8.1f} {'<100 / <300  ' + ok:>22}")
        out[kind] = (len(vals), med, p99)
    all_vals = [v for vals in timings.values() for v in vals]
    out["all"] = (len(all_vals), statistics.median(all_vals), pct(all_vals, 0.99))
    out["rps"] = (errors, done / wall, 1000 * cpu / max(done, 1))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--clients", default="20",
                    help="comma-separated client counts, each run in turn (e.g. 20,50)")
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--seconds", type=float, default=60)
    args = ap.parse_args()
    counts = [int(x) for x in args.clients.split(",")]
    with tempfile.TemporaryDirectory(prefix="junheng-bench-") as tmp:
        url = setup_db(Path(tmp), args.backend)
        try:
            env = {"JUNHENG_SECRET_KEY": "bench-secret"}
            with serve(url, workers=args.workers, cli=True, env=env) as base:
                print(f"junheng serve {base}, {args.backend}, {args.workers} worker(s)")
                asyncio.run(warm(base))
                results = {n: asyncio.run(run(base, n, args.requests, args.seconds))
                           for n in counts}
        finally:
            if args.backend == "postgresql":
                pg_admin(f"DROP DATABASE IF EXISTS {url.rsplit('/', 1)[-1]} WITH (FORCE)")
    print(f"\nsummary: {args.backend}, {args.workers} worker(s), city + county pages")
    print(f"{'clients':>7} {'req/s':>7} {'errors':>6} {'median ms':>10} {'p99 ms':>8} "
          f"{'CPU ms/req':>10}")
    for n, r in results.items():
        print(f"{n:>7} {r['rps'][1]:>7.0f} {r['rps'][0]:>6} {r['all'][1]:>10.1f} "
              f"{r['all'][2]:>8.1f} {r['rps'][2]:>10.2f}")


if __name__ == "__main__":
    main()
