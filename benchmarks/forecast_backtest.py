"""Forecast backtest benchmark: accuracy against the baselines, and run time.

Run by hand:  .venv/bin/python benchmarks/forecast_backtest.py [--repeat 3]
Prints, for the Eau Claire district (real, 1998–2024) and the Zhangye demo (2012–2024), the
MAPE of the method next to persistence and csr3 for horizons 1–5 (county, school, city), the
80 % interval coverage per horizon and pooled over horizons, and median wall-clock times of a
backtest and of a 10-year forecast.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from forecast.eau_claire import eau_claire_dataset

from junheng.demo import generate
from junheng.forecast import ForecastOptions, forecast, run_backtest


def timed(fn, repeat: int) -> tuple[object, float]:  # type: ignore[no-untyped-def]
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return out, statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    sets = {
        "eau_claire (real, 16 schools, 1998-2024)": eau_claire_dataset(),
        "zhangye demo (162 schools, 2012-2024)": generate(0, range(2012, 2025)),
        "zhangye demo (default 2019-2024)": generate(0),
    }
    opts = ForecastOptions()
    for name, ds in sets.items():
        report, t_bt = timed(lambda ds=ds: run_backtest(ds, 5, opts), args.repeat)
        _, t_fc = timed(lambda ds=ds: forecast(ds, 10, opts), args.repeat)
        print(f"\n== {name}: backtest {t_bt:.2f} s, 10-year forecast {t_fc:.2f} s (median of "
              f"{args.repeat})")
        for level in ("county", "school", "city"):
            horizons = report["levels"].get(level, {}).get("horizons", {})
            print(f"  {level:7s} h  method  persistence  csr3   bias  coverage80 (n)")
            inside, total = 0.0, 0
            for h, c in horizons.items():
                b = c["baselines"]
                win = "✓" if all(c["mape"] < b[k]["mape"] for k in b) else " "
                print(f"  {'':7s} {h}  {c['mape']:6.2f}  {b['persistence']['mape']:11.2f}  "
                      f"{b['csr3']['mape']:5.2f}  {c['bias']:5.2f}  {c['coverage80']!s:>6} "
                      f"({c['coverage_n']}) {win}")
                if c["coverage80"] is not None:
                    inside += c["coverage80"] * c["coverage_n"]
                    total += c["coverage_n"]
            if total:
                print(f"  {'':7s} pooled coverage80 over h: {inside / total:.3f} ({total})")


if __name__ == "__main__":
    main()
