"""Hostile and large uploads in bounded memory and time, while other users are still served.

With the demo data on SQLite, starts the app with uvicorn (one worker) on a loopback port and
uploads, one after the other:

- the dimension bomb of issue #14.3: a ~10 KB workbook whose extra sheet (and, in a second
  file, the ``rooms`` sheet) declares ``A1:XFD1048576`` with cells in its corners;
- a 200,000-row ``students`` workbook (valid data).

While each upload is being checked, another signed-in client requests a page every 50 ms;
the script prints the median and p99 latency of those requests, the check's wall time and
the server process's peak RSS (VmHWM) and that of its check processes. Then it runs ``junheng validate`` on the same files
and prints each run's time and peak RSS. Targets: server peak RSS < 1 GB, other requests
answered within 1 s (p99).

    .venv/bin/python benchmarks/bench_upload_bounds.py [--rows 200000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from junheng.demo import generate  # noqa: E402
from junheng.io.db import import_dataset, make_engine  # noqa: E402
from junheng.io.validate import resident_id_check_char  # noqa: E402
from junheng.web.database import prepare  # noqa: E402
from junheng.web.services.accounts import create_user  # noqa: E402
from tests.e2e.server import free_port  # noqa: E402
from tests.io.test_input_bounds import dimension_bomb  # noqa: E402

PASSWORD = "upload-bounds-Kx7q-2031"
# Every process this script starts gets at most this much address space (house rule).
ADDRESS_SPACE = 4 * 1024**3


def _limit() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))


def setup_db(tmp: Path) -> tuple[str, list[str]]:
    url = f"sqlite:///{tmp / 'bench.sqlite'}"
    engine = make_engine(url)
    prepare(engine)
    ds = generate()
    import_dataset(engine, ds)
    create_user(engine, "uploader", PASSWORD, "city_admin", must_change_password=False)
    create_user(engine, "browser", PASSWORD, "city_admin", must_change_password=False)
    engine.dispose()
    years = sorted(set(ds.table("sections")["year"].to_list()))
    schools = ds.table("sections").filter(ds.table("sections")["year"] == years[-1])
    return url, sorted(set(schools["school_id"].to_list()))


def students_workbook(path: Path, rows: int, schools: list[str], year: int = 2024) -> Path:
    """``rows`` valid students spread over the demo's schools (write-only openpyxl)."""
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    ws = book.create_sheet("students")
    ws.append(["year", "student_id", "school_id", "grade", "resident_id", "is_migrant",
               "is_left_behind"])
    for i in range(rows):
        first17 = f"620702{2010 + i % 8}{1 + i % 12:02d}{1 + i % 28:02d}{i % 1000:03d}"
        ws.append([year, f"G{i:012d}", schools[i % len(schools)], 1 + i % 9,
                   first17 + resident_id_check_char(first17), "否", "是" if i % 7 else "否"])
    book.save(path)
    return path


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def children_peak_mb(pid: int) -> float:
    """The largest peak RSS among the server's child processes now alive (the check
    processes), 0 if none."""
    peak = 0.0
    kids: list[str] = []
    # Children started from any thread of the process (the check pool starts them from a
    # worker thread), so every task's list.
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            kids += (task / "children").read_text().split()
        except OSError:
            continue
    for kid in kids:
        try:
            peak = max(peak, peak_rss_mb(int(kid)), children_peak_mb(int(kid)))
        except OSError:
            continue
    return peak


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, round(q * (len(s) - 1)))]


async def login(client: httpx.AsyncClient, username: str) -> str:
    page = await client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    r = await client.post("/login", data={"username": username, "password": PASSWORD,
                                          "csrf_token": token.group(1)})
    assert r.status_code == 303, r.status_code
    page = await client.get("/data")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    return token.group(1)


async def upload_while_browsing(base: str, pid: int, label: str, path: Path) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=600) as up, \
            httpx.AsyncClient(base_url=base, timeout=60) as other:
        token = await login(up, "uploader")
        await login(other, "browser")
        for _ in range(3):  # warm the page cache, as any user would
            assert (await other.get("/county/620702")).status_code == 200
        latencies: list[float] = []
        done = asyncio.Event()

        child_peak = 0.0

        async def browse() -> None:
            nonlocal child_peak
            while not done.is_set():
                child_peak = max(child_peak, children_peak_mb(pid))
                t0 = time.perf_counter()
                r = await other.get("/county/620702")
                latencies.append(1000 * (time.perf_counter() - t0))
                assert r.status_code == 200, r.status_code
                await asyncio.sleep(0.05)

        browser = asyncio.create_task(browse())
        t0 = time.perf_counter()
        r = await up.post("/data/upload", data={"csrf_token": token},
                          files={"file": (path.name, path.read_bytes())})
        wall = time.perf_counter() - t0
        done.set()
        await browser
        status = "?"
        if r.status_code == 303:
            page = await up.get(r.headers["location"])
            m = re.search(r'id="upload-status" class="upload-(\w+)"', page.text)
            status = m.group(1) if m else "?"
        print(f"{label:<34} {path.stat().st_size / 1e6:>7.2f} MB  HTTP {r.status_code} "
              f"({status:<7}) check {wall:>6.1f} s | other client: n={len(latencies):>4} "
              f"median {statistics.median(latencies):>6.1f} ms  p99 {pct(latencies, 0.99):>7.1f}"
              f" ms  max {max(latencies):>7.1f} ms | server peak RSS {peak_rss_mb(pid):>6.0f} MB,"
              f" check process {child_peak:>5.0f} MB")


def cli_validate(label: str, path: Path) -> None:
    probe = ("import resource, subprocess, sys, time; t = time.perf_counter(); "
             "rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, "
             "stderr=subprocess.PIPE).returncode; "
             "print(rc, time.perf_counter() - t, "
             "resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)")
    out = subprocess.run([sys.executable, "-c", probe, sys.executable, "-m", "junheng.cli",
                          "validate", str(path)], capture_output=True, text=True, check=True,
                         preexec_fn=_limit)
    rc, wall, rss = out.stdout.split()
    print(f"junheng validate {label:<25} exit {rc}  {float(wall):>6.1f} s  "
          f"peak RSS {float(rss):>6.0f} MB")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=200_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="junheng-bench-") as tmpdir:
        tmp = Path(tmpdir)
        url, schools = setup_db(tmp)
        t = time.perf_counter()
        files = [
            ("dimension bomb, extra sheet", dimension_bomb(tmp / "bomb-extra.xlsx")),
            ("dimension bomb, rooms sheet", dimension_bomb(tmp / "bomb-rooms.xlsx", "rooms")),
            (f"{args.rows:,} students rows", students_workbook(tmp / "students.xlsx",
                                                               args.rows, schools)),
        ]
        print(f"files written in {time.perf_counter() - t:.1f} s")
        port = free_port()
        env = {**os.environ, "JUNHENG_DATABASE_URL": url, "JUNHENG_SECRET_KEY": "bench",
               "JUNHENG_UPLOAD_MAX_BYTES": str(50 * 1024 * 1024)}
        server = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "junheng.web.app:app_from_env", "--factory",
             "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
            env=env, preexec_fn=_limit)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(base + "/login", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert time.monotonic() < deadline and server.poll() is None, "no server"
                time.sleep(0.2)
            print(f"server pid {server.pid}, peak RSS after start "
                  f"{peak_rss_mb(server.pid):.0f} MB")
            for label, path in files:
                asyncio.run(upload_while_browsing(base, server.pid, label, path))
        finally:
            server.terminate()
            server.wait(timeout=30)
        for label, path in files:
            cli_validate(label, path)


if __name__ == "__main__":
    main()
