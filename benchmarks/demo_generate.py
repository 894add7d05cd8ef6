"""How long the demo generators take (run by hand: .venv/bin/python benchmarks/demo_generate.py).

Prints the median of a few runs for the Zhangye demo (2019–2024) and for the national-scale
dataset, with and without its ~3 million class rows, plus the row counts produced.
Targets: demo < 3 s, national well under 30 s.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

from junheng.demo import generate, generate_national
from junheng.domain.dataset import Dataset


def _time(label: str, fn: Callable[[], Dataset], runs: int) -> Dataset:
    times = []
    ds = Dataset()
    for _ in range(runs):
        t0 = time.perf_counter()
        ds = fn()
        times.append(time.perf_counter() - t0)
    rows = sum(ds[t].height for t in ds)
    print(f"{label:<44} median {statistics.median(times):6.2f} s  "
          f"(min {min(times):.2f}, max {max(times):.2f}, runs {runs})  rows {rows:,}")
    return ds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    demo = _time("Zhangye demo 2019–2024", lambda: generate(0), args.runs)
    _time("national 2 850 counties / 210 000 schools",
          lambda: generate_national(0), args.runs)
    nat = _time("national without classes", lambda: generate_national(0, with_classes=False),
                args.runs)
    for name, ds in (("demo", demo), ("national (no classes)", nat)):
        print(f"\n{name}: " + ", ".join(f"{t} {ds[t].height:,}" for t in ds))


if __name__ == "__main__":
    main()
