"""Forecast backtest benchmark: accuracy against the baselines, and run time.

Run by hand:  .venv/bin/python benchmarks/forecast_backtest.py [--repeat 3]

1. The goal of issue #15 on every real series we hold, measured as the issue measures it
   (tests/forecast/real_series.py): Eau Claire grades 1–5 with births (origins 2006–2019) and
   the sixteen New Zealand regions without births (origins 2001–2012), horizons 1–4, MAPE (%) of
   each unit's total. Per horizon: the method, persistence, 3-year cohort survival (csr3), the
   ratio to the better of the two (goal ≤ 1.02, and < 1 on average) and the 80 % band's
   coverage (goal 0.70–0.90). The previous default (``gpr-median``: one 5-year median ratio,
   births for the entry grade) runs side by side as "before".
2. For Eau Claire K–5 (all origins) and the Zhangye demo: MAPE by level next to both
   baselines for horizons 1–5, coverage per horizon and pooled, and median wall-clock times of a
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
from forecast.real_series import MAX_RATIO, backtest, goal_table, series

from junheng.demo import generate
from junheng.forecast import ForecastOptions, forecast, run_backtest


def timed(fn, repeat: int) -> tuple[object, float]:  # type: ignore[no-untyped-def]
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return out, statistics.median(times)


def goal(repeat: int) -> None:
    print("== Goal on the real series (issue #15): MAPE % of unit totals, county/region level")
    for s in series():
        for label, method in (("after", "ensemble"), ("before", "gpr-median")):
            report, secs = timed(lambda s=s, m=method: backtest(s, ForecastOptions(method=m)),
                                 repeat)
            rows = goal_table(report)  # type: ignore[arg-type]
            print(f"\n  {s.name} — {label} ({method}), origins {s.origins[0]}–{s.origins[1]}, "
                  f"backtest {secs:.2f} s")
            print("   h   ours  persist   csr3  ratio  cover80  n   goal")
            for r in rows:
                ok = r["ratio"] <= MAX_RATIO and 0.70 <= r["coverage"] <= 0.90
                print(f"   {r['h']}  {r['ours']:5.2f}  {r['persistence']:7.2f}  {r['csr3']:5.2f}"
                      f"  {r['ratio']:5.3f}  {r['coverage']:7.3f}  {r['n']:<3d} "
                      f"{'✓' if ok else '✗'}")
            mean = sum(r["ratio"] for r in rows) / len(rows)
            print(f"   mean ratio to the better baseline: {mean:.3f} "
                  f"{'✓' if mean < 1.0 else '✗'}")


def levels(repeat: int) -> None:
    sets = {
        "eau_claire K-5 (real, 16 schools, 1998-2024, all origins)": eau_claire_dataset(),
        "zhangye demo (162 schools, 2012-2024)": generate(0, range(2012, 2025)),
        "zhangye demo (default 2019-2024)": generate(0),
    }
    opts = ForecastOptions()
    for name, ds in sets.items():
        report, t_bt = timed(lambda ds=ds: run_backtest(ds, 5, opts), repeat)
        _, t_fc = timed(lambda ds=ds: forecast(ds, 10, opts), repeat)
        print(f"\n== {name}: backtest {t_bt:.2f} s, 10-year forecast {t_fc:.2f} s (median of "
              f"{repeat})")
        for level in ("county", "school", "city"):
            horizons = report["levels"].get(level, {}).get("horizons", {})  # type: ignore[attr-defined]
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


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--goal-only", action="store_true", help="only part 1 (the real series)")
    args = ap.parse_args()
    goal(args.repeat)
    if not args.goal_only:
        levels(args.repeat)


if __name__ == "__main__":
    main()
