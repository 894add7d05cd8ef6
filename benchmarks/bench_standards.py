"""Benchmark: the standards engine on a national-scale dataset (≈ 2,850 counties, 210,000 schools).

Run by hand:  .venv/bin/python benchmarks/bench_standards.py [--schools 210000] [--runs 3] [--rounds 3]

Prints, side by side and as medians of several runs, each measurement in its own subprocess so
that peak memory belongs to that measurement alone, in interleaved rounds (evaluate, Polars
rules, pandas rules, then again) so that both implementations see the same machine load:

- ``evaluate(ds, "quality-balance-2017", 2024)`` — the whole method (resource indicators, CVs,
  the 15 + 9 county items, class-size bands) on an in-memory dataset;
- the resource-indicator part alone (combined-school split, school rule, weighted CV) in
  Polars, and the same rules written in plain pandas — the like-for-like comparison;
- loading a CSV folder with ``junheng.io.source.load_dataset`` (validation included) plus
  ``evaluate``.

It checks that the pandas and Polars versions give identical verdicts (every school's
pass/fail and every county × stage × indicator CV verdict) and that their CVs agree to 1e-9.
The data is the project's own national generator, ``junheng.demo.generate_national`` (seeded,
vectorised numpy): the same synthetic country the import benchmark and the demo use.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

# ----------------------------------------------------------------------------- pandas baseline


def pandas_resources(tables: dict, rules: dict) -> tuple:  # type: ignore[type-arg]
    """The 2017 resource-indicator rules in plain pandas: scope, weighted split, exclusions,
    indicator values, the 6-of-7-and-85 % school rule, the student-weighted CV per county ×
    stage × indicator and its verdict."""
    import numpy as np
    import pandas as pd

    schools = tables["schools"]
    sec = tables["sections"][tables["sections"]["year"] == 2024]
    fac = tables["facilities"][tables["facilities"]["year"] == 2024].drop(columns=["year"])
    df = sec.merge(schools[["school_id", "county_code", "school_type", "ownership"]], on="school_id")
    df = df[df["school_type"].isin(rules["types"]) & (df["ownership"] == "public")].copy()
    w = pd.DataFrame([(t, s, v) for t, d in rules["weights"].items() for s, v in d.items()],
                     columns=["school_type", "stage", "weight"])
    df = df.merge(w, on=["school_type", "stage"], how="left")
    df["weight"] = df["weight"].fillna(df["stage"].map({"preschool": 0.0}).fillna(1.0))
    df["wp"] = df["weight"] * df["students"]
    df["share"] = df["wp"] / df.groupby("school_id")["wp"].transform("sum")
    df = df.merge(fac, on="school_id", how="left")
    for c in ("teaching_area_m2", "sports_area_m2", "equipment_value_yuan", "multimedia_rooms"):
        df[c] = df[c] * df["share"]
    df = df[df["stage"].isin(["primary", "junior"]) & (df["students"] > 0)]
    df = df[~((df["school_type"] == "teaching_point") & (df["students"] < rules["min_tp"]))].copy()
    met_cols, near_cols = [], []
    for ind, (num, scale) in rules["indicators"].items():
        df[ind] = df[num] * scale / df["students"]
        thr = df["stage"].map(rules["thresholds"][ind])
        tol = np.maximum(thr.abs(), 1.0) * 1e-9
        df["met_" + ind] = df[ind] >= thr - tol
        tol_f = np.maximum((thr * rules["floor"]).abs(), 1.0) * 1e-9
        df["near_" + ind] = df["met_" + ind] | (df[ind] >= thr * rules["floor"] - tol_f)
        met_cols.append("met_" + ind)
        near_cols.append("near_" + ind)
    df["met_count"] = df[met_cols].sum(axis=1)
    df["passed"] = (df["met_count"] >= rules["min_met"]) & df[near_cols].all(axis=1)
    keys = ["county_code", "stage"]
    g = df.groupby(keys)
    total_p = g["students"].transform("sum")
    out = []
    for ind, (num, _scale) in rules["indicators"].items():
        xbar = g[num].transform("sum") / total_p
        dev = (df["students"] / total_p) * (df[num] / df["students"] - xbar) ** 2
        s = dev.groupby([df["county_code"], df["stage"]]).sum() ** 0.5
        xb = g[num].sum() / g["students"].sum()
        cv = (s / xb).rename("cv").reset_index()
        cv["indicator"] = ind
        out.append(cv)
    cvs = pd.concat(out, ignore_index=True)
    lim = cvs["stage"].map(rules["cv_limit"])
    cvs["cv_passed"] = cvs["cv"] <= lim + np.maximum(lim.abs(), 1.0) * 1e-9
    return df[["school_id", "stage", "passed"]], cvs


def pandas_rules() -> dict:  # type: ignore[type-arg]
    from junheng.standards.loader import load_standard
    from junheng.standards.rules import ResolvedRules, evaluation_date

    std = load_standard("quality-balance-2017")
    r = ResolvedRules(std, evaluation_date(2024))
    return {
        "types": list(std.scope.school_types), "weights": r.value("split_weights"),
        "min_tp": r.value("teaching_point_min_students"), "floor": r.value("school_rule_floor"),
        "min_met": r.value("school_rule_min_met"), "cv_limit": r.value("cv_limit"),
        "indicators": {i.id: (i.numerator, i.scale) for i in std.indicators},
        "thresholds": {i.id: r.value(i.id) for i in std.indicators},
    }


# ----------------------------------------------------------------------------- children


def _status_mb(field: str) -> float:
    """VmHWM (peak) or VmRSS (now) of this process from /proc, in MB. ru_maxrss is not used:
    Linux carries it over from the parent through fork + exec, so a child would report the
    parent's peak."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _maxrss_mb() -> float:
    return _status_mb("VmHWM")


def _rss_mb() -> float:
    return _status_mb("VmRSS")


def child(mode: str, folder: str, runs: int) -> dict:  # type: ignore[type-arg]
    from junheng.domain.dataset import Dataset

    times: list[float] = []
    cpu: list[float] = []
    loads: list[float] = []  # reading the parquet files, before each timed run
    extra: dict = {}  # type: ignore[type-arg]
    if mode == "load+evaluate":
        from junheng.io.source import load_dataset
        from junheng.standards.engine import evaluate

        for _ in range(runs):
            t, c = time.perf_counter(), time.process_time()
            ds = load_dataset(str(Path(folder) / "csv"))
            evaluate(ds, "quality-balance-2017", 2024)
            times.append(time.perf_counter() - t)
            cpu.append(time.process_time() - c)
            del ds
        return {"times": times, "cpu": cpu, "rss_before_mb": None, "peak_rss_mb": _maxrss_mb()}
    pq = Path(folder) / "parquet"
    if mode.startswith("pandas"):
        import pandas as pd

        def read_pd() -> dict:  # type: ignore[type-arg]
            return {t: pd.read_parquet(pq / f"{t}.parquet") for t in ("schools", "sections", "facilities")}

        tables = read_pd()
        rules = pandas_rules()
        before = _rss_mb()
        for _ in range(runs):
            t = time.perf_counter()
            tables = read_pd()
            loads.append(time.perf_counter() - t)
            t, c = time.perf_counter(), time.process_time()
            schools, cvs = pandas_resources(tables, rules)
            times.append(time.perf_counter() - t)
            cpu.append(time.process_time() - c)
        schools.to_parquet(Path(folder) / "pandas_schools.parquet")
        cvs.to_parquet(Path(folder) / "pandas_cvs.parquet")
        return {"times": times, "cpu": cpu, "loads": loads, "rss_before_mb": before,
                "peak_rss_mb": _maxrss_mb()}
    wanted = None if mode == "evaluate" else {"schools", "sections", "facilities"}

    def read_pl() -> Dataset:
        return Dataset.from_frames({p.stem: pl.read_parquet(p) for p in pq.glob("*.parquet")
                                    if wanted is None or p.stem in wanted})

    ds = read_pl()
    before = _rss_mb()
    if mode == "polars-resources":
        from junheng.standards.cv import county_stage_cvs
        from junheng.standards.loader import load_standard
        from junheng.standards.rules import ResolvedRules, evaluation_date
        from junheng.standards.school_table import build_school_table

        std = load_standard("quality-balance-2017")
        for _ in range(runs):
            t = time.perf_counter()
            ds = read_pl()
            loads.append(time.perf_counter() - t)
            t, c = time.perf_counter(), time.process_time()
            rules = ResolvedRules(std, evaluation_date(2024))
            table, _ = build_school_table(ds.for_year(2024), std, rules)
            county_stage_cvs(table, std.indicators)
            times.append(time.perf_counter() - t)
            cpu.append(time.process_time() - c)
        return {"times": times, "cpu": cpu, "loads": loads, "rss_before_mb": before,
                "peak_rss_mb": _maxrss_mb()}
    from junheng.standards.engine import evaluate

    for _ in range(runs):
        t = time.perf_counter()
        ds = read_pl()
        loads.append(time.perf_counter() - t)
        t, c = time.perf_counter(), time.process_time()
        ev = evaluate(ds, "quality-balance-2017", 2024)
        times.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    ev.schools.select("school_id", "stage", "passed").write_parquet(Path(folder) / "polars_schools.parquet")
    ev.county_indicators.select("county_code", "stage", "indicator", "cv", "cv_passed").write_parquet(
        Path(folder) / "polars_cvs.parquet")
    extra["counties_passed"] = sum(1 for c in ev.counties if c.passed)
    extra["schools_evaluated"] = ev.schools.height
    extra["schools_passed"] = int(ev.schools["passed"].sum())
    return {"times": times, "cpu": cpu, "loads": loads, "rss_before_mb": before,
            "peak_rss_mb": _maxrss_mb(), **extra}


def run_child(mode: str, folder: str, runs: int) -> dict:  # type: ignore[type-arg]
    out = subprocess.run([sys.executable, __file__, "--child", mode, "--folder", folder,
                          "--runs", str(runs)], capture_output=True, text=True, check=False)
    if out.returncode:
        raise SystemExit(f"{mode} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def compare_verdicts(folder: str) -> str:
    pds = pl.read_parquet(Path(folder) / "pandas_schools.parquet").select(
        "school_id", "stage", pl.col("passed").alias("pd_passed"))
    pls = pl.read_parquet(Path(folder) / "polars_schools.parquet")
    s = pls.join(pds, on=["school_id", "stage"], how="full", coalesce=True)
    assert s.height == pls.height == pds.height, (s.height, pls.height, pds.height)
    diff_s = s.filter(pl.col("passed") != pl.col("pd_passed")).height
    pdc = pl.read_parquet(Path(folder) / "pandas_cvs.parquet").select(
        "county_code", "stage", "indicator", pl.col("cv").alias("pd_cv"),
        pl.col("cv_passed").alias("pd_cv_passed"))
    plc = pl.read_parquet(Path(folder) / "polars_cvs.parquet").filter(pl.col("cv").is_not_null())
    c = plc.join(pdc, on=["county_code", "stage", "indicator"], how="inner")
    assert c.height == plc.height == pdc.height, (c.height, plc.height, pdc.height)
    diff_c = c.filter(pl.col("cv_passed") != pl.col("pd_cv_passed")).height
    max_dcv = c.select((pl.col("cv") - pl.col("pd_cv")).abs().max()).item()
    ok = diff_s == 0 and diff_c == 0 and max_dcv < 1e-9
    return (f"{'identical' if ok else 'DIFFERENT'} verdicts: {s.height} school-stages "
            f"({diff_s} differ), {c.height} county×stage×indicator CVs ({diff_c} differ), "
            f"max |ΔCV| = {max_dcv:.2e}")


def main() -> None:
    from junheng.demo import generate_national

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--counties", type=int, default=2850)
    ap.add_argument("--schools", type=int, default=210000)
    ap.add_argument("--runs", type=int, default=3, help="timed runs per child process")
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds of the three measurements")
    ap.add_argument("--load-runs", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-classes", action="store_true", help="leave the class list out")
    ap.add_argument("--child")
    ap.add_argument("--folder")
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.folder, args.runs)))
        return

    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        tables = generate_national(args.seed, n_counties=args.counties, n_schools=args.schools,
                                   with_classes=not args.no_classes).tables
        print(f"generated in {time.perf_counter() - t:.1f}s: "
              + ", ".join(f"{k} {v.height:,}" for k, v in tables.items()))
        (Path(tmp) / "parquet").mkdir()
        (Path(tmp) / "csv").mkdir()
        for k, v in tables.items():
            v.write_parquet(Path(tmp) / "parquet" / f"{k}.parquet")
            v.write_csv(Path(tmp) / "csv" / f"{k}.csv")
        del tables
        print(f"python {sys.version.split()[0]}, polars {pl.__version__}, cpus {os.cpu_count()}\n")
        # Rounds interleave the measurements, so that a burst of load from other processes
        # falls on both implementations rather than on whichever happened to run then; the
        # per-round ratio pairs runs made within seconds of each other.
        res: dict[str, dict] = {}  # type: ignore[type-arg]
        paired: list[float] = []
        for _ in range(args.rounds):
            rnd = {m: run_child(m, tmp, args.runs)
                   for m in ("evaluate", "polars-resources", "pandas-resources")}
            paired.append(statistics.median(rnd["pandas-resources"]["times"])
                          / statistics.median(rnd["polars-resources"]["times"]))
            for m, r in rnd.items():
                acc = res.setdefault(m, {**r, "times": [], "cpu": [], "loads": [], "peak_rss_mb": 0.0})
                for k in ("times", "cpu", "loads"):
                    acc[k] += r[k]
                acc["peak_rss_mb"] = max(acc["peak_rss_mb"], r["peak_rss_mb"])
        res["load+evaluate"] = run_child("load+evaluate", tmp, args.load_runs)
        print(f"{'measurement':18} {'median s':>9} {'best s':>7} {'CPU s':>6} {'+read med s':>12} "
              f"{'+read best s':>13} {'runs':>5} {'peak RSS MB':>12} {'RSS with data MB':>17}")
        for mode, r in res.items():
            ts = r["times"]
            before = f"{r['rss_before_mb']:.0f}" if r["rss_before_mb"] is not None else "—"
            if r.get("loads"):
                with_read = [a + b for a, b in zip(ts, r["loads"], strict=False)]
                rd = f"{statistics.median(with_read):12.3f} {min(with_read):13.3f}"
            else:
                rd = f"{'(CSV load)':>12} {'':>13}"
            print(f"{mode:18} {statistics.median(ts):9.3f} {min(ts):7.3f} {statistics.median(r['cpu']):6.2f} "
                  f"{rd} {len(ts):5d} {r['peak_rss_mb']:12.0f} {before:>17}")
        load = os.getloadavg()[0]
        print(f"\nload average during the run: {load:.1f} on {os.cpu_count()} cpus (wall times are "
              "sensitive to other processes; best-run and CPU columns less so)")
        pd_r, pl_r = res["pandas-resources"], res["polars-resources"]

        def ratios(pd_t: list[float], pl_t: list[float]) -> str:
            return (f"{statistics.median(pd_t) / statistics.median(pl_t):.1f}x median, "
                    f"{min(pd_t) / min(pl_t):.1f}x best run")

        def plus_read(r: dict) -> list[float]:  # type: ignore[type-arg]
            return [a + b for a, b in zip(r["times"], r["loads"], strict=False)]

        print(f"speed ratio pandas / polars (resource rules, like for like): {ratios(pd_r['times'], pl_r['times'])}, "
              f"{statistics.median(pd_r['cpu']) / statistics.median(pl_r['cpu']):.1f}x CPU time")
        print(f"  paired by round (median of {len(paired)} rounds' ratios):          {statistics.median(paired):.1f}x "
              f"({', '.join(f'{x:.1f}' for x in paired)})")
        print(f"  the same, each reading its parquet files first:            {ratios(plus_read(pd_r), plus_read(pl_r))}")
        print(f"speed ratio pandas resource rules / full polars evaluate:     {ratios(pd_r['times'], res['evaluate']['times'])}")
        e = res["evaluate"]
        print(f"evaluate: {e['schools_evaluated']:,} school-stages evaluated, {e['schools_passed']:,} "
              f"passed the school rule; {e['counties_passed']} counties passed")
        print(compare_verdicts(tmp))


if __name__ == "__main__":
    main()
