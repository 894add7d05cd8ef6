"""Latency of the city and county pages under 20 concurrent signed-in clients.

With the demo data on SQLite, starts the app with uvicorn on a loopback port, signs in 20
clients, warms the cache (first requests are reported apart: they evaluate every year), then
sends requests from all clients at once until 2,000 are done or 60 s have passed, and prints
the median and p99 latency per page. Target: median < 100 ms, p99 < 300 ms.

    .venv/bin/python benchmarks/bench_web.py [--workers 1] [--clients 20] [--requests 2000]
"""

from __future__ import annotations

import argparse
import asyncio
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

PASSWORD = "benchmark-password-1"
COUNTIES = ["620702", "620721", "620722", "620723", "620724", "620725"]


def setup_db(tmp: Path) -> str:
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


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, round(q * (len(s) - 1)))]


async def run(base: str, clients: int, total: int, seconds: float) -> None:
    limits = httpx.Limits(max_connections=1)
    pool = [httpx.AsyncClient(base_url=base, limits=limits, timeout=30) for _ in range(clients)]
    await asyncio.gather(*(login(c) for c in pool))

    t = time.perf_counter()
    r = await pool[0].get("/city")
    assert r.status_code == 200
    print(f"cold /city (evaluates every year): {1000 * (time.perf_counter() - t):.0f} ms")
    for code in COUNTIES:
        t = time.perf_counter()
        assert (await pool[0].get(f"/county/{code}")).status_code == 200
        print(f"cold /county/{code}: {1000 * (time.perf_counter() - t):.0f} ms")

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
    await asyncio.gather(*(worker(i, c) for i, c in enumerate(pool)))
    wall = time.perf_counter() - start
    for c in pool:
        await c.aclose()
    done = sum(len(v) for v in timings.values())
    print(f"\n{clients} concurrent clients, {done} requests in {wall:.1f} s "
          f"({done / wall:.0f} req/s), {errors} errors")
    print(f"{'page':<8} {'n':>6} {'median ms':>10} {'p99 ms':>8} {'target':>22}")
    for kind, vals in timings.items():
        med, p99 = statistics.median(vals), pct(vals, 0.99)
        ok = "ok" if med < 100 and p99 < 300 else "MISSED"
        print(f"{kind:<8} {len(vals):>6} {med:>10.1f} {p99:>8.1f} {'<100 / <300  ' + ok:>22}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--seconds", type=float, default=60)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="junheng-bench-") as tmp:
        url = setup_db(Path(tmp))
        with serve(url, workers=args.workers) as base:
            print(f"server {base}, {args.workers} worker(s)")
            asyncio.run(run(base, args.clients, args.requests, args.seconds))


if __name__ == "__main__":
    main()
