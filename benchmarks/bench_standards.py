"""Benchmark: the standards engine on a national-scale dataset (≈ 2,850 counties, 210,000 schools).

Run by hand:  .venv/bin/python benchmarks/bench_standards.py [--schools 210000] [--runs 5]

Prints, side by side and as medians of several runs, each in its own subprocess so that peak
memory (ru_maxrss) belongs to that measurement alone:

- ``evaluate(ds, "quality-balance-2017", 2024)`` — the whole method (resource indicators, CVs,
  the 15 + 9 county items, class-size bands) on an in-memory dataset;
- the resource-indicator part alone (combined-school split, school rule, weighted CV) in
  Polars, and the same rules written in plain pandas — the like-for-like comparison;
- loading a CSV folder with ``junheng.io.source.load_dataset`` (validation included) plus
  ``evaluate``.

It checks that the pandas and Polars versions give identical verdicts (every school's
pass/fail and every county × stage × indicator CV verdict) and that their CVs agree to 1e-9.
The data generator is vectorised numpy, seeded, and lives here so the benchmark reproduces.
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

import numpy as np
import polars as pl

TYPES = ["primary", "teaching_point", "junior", "nine_year", "complete_secondary", "twelve_year",
         "senior", "special"]
TYPE_P = [0.52, 0.16, 0.14, 0.10, 0.03, 0.01, 0.03, 0.01]
STAGES_OF = {"primary": ["primary"], "teaching_point": ["primary"], "junior": ["junior"],
             "nine_year": ["primary", "junior"], "complete_secondary": ["junior", "senior"],
             "twelve_year": ["primary", "junior", "senior"], "senior": ["senior"],
             "special": ["primary"]}
MEAN_STUDENTS = {("primary", "primary"): 600, ("teaching_point", "primary"): 60,
                 ("junior", "junior"): 800, ("nine_year", "primary"): 450,
                 ("nine_year", "junior"): 350, ("complete_secondary", "junior"): 600,
                 ("complete_secondary", "senior"): 700, ("twelve_year", "primary"): 700,
                 ("twelve_year", "junior"): 500, ("twelve_year", "senior"): 500,
                 ("senior", "senior"): 1500, ("special", "primary"): 120}


# ----------------------------------------------------------------------------- data generator


def generate(seed: int, n_counties: int, n_schools: int, with_classes: bool = True) -> dict[str, pl.DataFrame]:
    rng = np.random.default_rng(seed)
    codes = np.array([f"{100001 + i:06d}" for i in range(n_counties)])
    county_of = rng.integers(0, n_counties, n_schools)
    order = np.argsort(county_of, kind="stable")
    county_of = county_of[order]
    seq = np.arange(n_schools) - np.searchsorted(county_of, county_of)
    school_id = np.char.add(codes[county_of], np.char.zfill((seq + 1).astype(str), 4))
    stype = rng.choice(TYPES, n_schools, p=TYPE_P)
    private = (rng.random(n_schools) < 0.08) & (stype != "teaching_point")
    schools = pl.DataFrame({
        "school_id": school_id, "school_name": np.char.add("学校", school_id),
        "county_code": codes[county_of], "school_type": stype,
        "ownership": np.where(private, "private", "public"),
        "locale": rng.choice(["urban", "town", "rural"], n_schools),
    })
    # County-level quality factor gives some counties wide inter-school gaps.
    spread = rng.uniform(0.05, 0.45, n_counties)[county_of]
    level = rng.uniform(0.85, 1.35, n_counties)[county_of]
    rows_s, rows_t, rows_c = [], [], []
    for (t, stage), mean in MEAN_STUDENTS.items():
        idx = np.nonzero(stype == t)[0]
        if not len(idx):
            continue
        st = np.maximum(5, rng.lognormal(np.log(mean), 0.5, len(idx))).astype(np.int64)
        rows_s.append(pl.DataFrame({"idx": idx, "stage": [stage] * len(idx), "students": st}))
    sec = pl.concat(rows_s)
    n = sec.height
    idx = sec["idx"].to_numpy()
    p = sec["students"].to_numpy().astype(float)
    junior = (sec["stage"] == "junior").to_numpy()
    f = level[idx] * np.exp(rng.normal(0, spread[idx], n))

    def teachers(per100: np.ndarray) -> np.ndarray:
        return np.maximum(0, np.round(p * per100 / 100 * f * np.exp(rng.normal(0, 0.1, n)))).astype(np.int64)

    sec = sec.with_columns(
        year=pl.lit(2024, pl.Int64),
        school_id=pl.Series(school_id[idx]),
        classes=pl.Series(np.maximum(1, np.ceil(p / 42)).astype(np.int64)),
        teachers=pl.Series(teachers(np.full(n, 6.5))),
        degree_teachers=pl.Series(teachers(np.where(junior, 5.6, 4.6))),
        backbone_teachers=pl.Series(teachers(np.full(n, 1.1))),
        pe_art_teachers=pl.Series(teachers(np.full(n, 1.0))),
        senior_title_teachers=pl.Series(teachers(np.full(n, 3.0))),
        certified_teachers=pl.Series(teachers(np.full(n, 6.4))),
    ).drop("idx")
    # Whole-school stocks: per-student norms × the school's weighted students × noise.
    wp = sec.group_by("school_id").agg(
        p=pl.col("students").sum(),
        pj=pl.col("students").filter(pl.col("stage") == "junior").sum(),
    )
    sid = wp["school_id"].to_numpy()
    pos = np.searchsorted(school_id, sid)
    ff = level[pos] * np.exp(rng.normal(0, spread[pos], len(sid)))
    tot = wp["p"].to_numpy().astype(float)
    pj = wp["pj"].to_numpy().astype(float)
    mix = pj / np.maximum(tot, 1)

    def stock(prim: float, jun: float, sd: float = 0.15) -> np.ndarray:
        return tot * (prim * (1 - mix) + jun * mix) * ff * np.exp(rng.normal(0, sd, len(sid)))

    fac = pl.DataFrame({
        "year": np.full(len(sid), 2024), "school_id": sid,
        "teaching_area_m2": np.round(stock(5.0, 6.4), 1),
        "sports_area_m2": np.round(stock(8.3, 11.2), 1),
        "equipment_value_yuan": np.round(stock(2300, 2900), 0),
        "multimedia_rooms": np.round(stock(2.6, 2.7) / 100).astype(np.int64),
        "computers": np.round(stock(12, 15) / 100).astype(np.int64),
        "books": np.round(stock(30, 40)).astype(np.int64),
    })
    tables: dict[str, pl.DataFrame] = {
        "counties": pl.DataFrame({"county_code": codes, "county_name": np.char.add("县", codes)}),
        "schools": schools, "sections": sec, "facilities": fac,
    }
    if with_classes:
        cls_n = sec["classes"].to_numpy()
        rep = np.repeat(np.arange(n), cls_n)
        within = np.arange(len(rep)) - np.repeat(np.cumsum(cls_n) - cls_n, cls_n)
        size = np.maximum(5, np.round(np.repeat(p / cls_n, cls_n) + rng.normal(0, 4, len(rep)))).astype(np.int64)
        stage_arr = sec["stage"].to_numpy()
        base_grade = np.select([stage_arr == "primary", stage_arr == "junior"], [1, 7], 10)
        tables["classes"] = pl.DataFrame({
            "year": np.full(len(rep), 2024), "school_id": sec["school_id"].to_numpy()[rep],
            "stage": stage_arr[rep], "grade": base_grade[rep] + within % 3,
            "class_name": np.char.add("班", within.astype(str)), "students": size,
        })
        per_school_classes = sec.group_by("school_id").agg(c=pl.col("classes").sum())
        need = np.ceil(per_school_classes["c"].to_numpy() / 12).astype(np.int64)
        have = np.maximum(0, need - (rng.random(len(need)) < 0.05))
        ids = np.repeat(per_school_classes["school_id"].to_numpy(), have)
        tables["rooms"] = pl.concat([
            pl.DataFrame({"year": np.full(len(ids), 2024), "school_id": ids, "room_type": ["music"] * len(ids),
                          "area_m2": rng.uniform(90, 130, len(ids)).round(1)}),
            pl.DataFrame({"year": np.full(len(ids), 2024), "school_id": ids, "room_type": ["art"] * len(ids),
                          "area_m2": rng.uniform(85, 120, len(ids)).round(1)}),
        ])
    m = n_counties
    tables["county_facts"] = pl.DataFrame({
        "year": np.full(m, 2024), "county_code": codes,
        "g01_layout_planned": rng.random(m) < 0.95, "g02_unified_standards": rng.random(m) < 0.95,
        "g06_small_school_funding": np.ones(m, bool),
        "special_school_funding_per_student_yuan": rng.uniform(5800, 8000, m).round(0),
        "teacher_avg_pay_yuan": rng.uniform(80000, 100000, m).round(0),
        "civil_servant_avg_pay_yuan": rng.uniform(80000, 95000, m).round(0),
        "training_completion_rate": np.where(rng.random(m) < 0.9, 1.0, 0.97),
        "g10_staffing_allocation": np.ones(m, bool),
        "rotation_eligible_teachers": rng.integers(200, 2000, m),
    }).with_columns(
        rotated_teachers=(pl.col("rotation_eligible_teachers") * 0.12).cast(pl.Int64),
    ).with_columns(
        rotated_backbone_teachers=(pl.col("rotated_teachers") * 0.25).cast(pl.Int64),
        certified_rate=pl.lit(1.0), nearby_enrollment_rate_primary=pl.lit(1.0),
        nearby_enrollment_rate_junior=pl.lit(0.97), quality_hs_quota_share=pl.lit(0.55),
        quota_rural_tilt=pl.lit(True), migrant_public_share=pl.lit(0.9),
        junior_retention_rate=pl.lit(0.97), disabled_enrollment_rate=pl.lit(0.96),
        q03_charter_and_it=pl.lit(True), training_budget_share_min=pl.lit(0.06),
        q05_it_use=pl.lit(True), q06_moral_culture=pl.lit(True), q07_curriculum=pl.lit(True),
        q08_no_overload=pl.lit(True), monitoring_level=pl.lit(3), monitoring_school_diff_rate=pl.lit(0.1),
        recognition_rate=pl.lit(0.9), veto_exam_admission=pl.lit(False),
        veto_school_choice=pl.lit(False), veto_key_schools=pl.lit(False), veto_fraud=pl.lit(False),
    )
    return tables


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

        tables = {t: pd.read_parquet(pq / f"{t}.parquet") for t in ("schools", "sections", "facilities")}
        rules = pandas_rules()
        before = _rss_mb()
        for _ in range(runs):
            t, c = time.perf_counter(), time.process_time()
            schools, cvs = pandas_resources(tables, rules)
            times.append(time.perf_counter() - t)
            cpu.append(time.process_time() - c)
        schools.to_parquet(Path(folder) / "pandas_schools.parquet")
        cvs.to_parquet(Path(folder) / "pandas_cvs.parquet")
        return {"times": times, "cpu": cpu, "rss_before_mb": before, "peak_rss_mb": _maxrss_mb()}
    wanted = None if mode == "evaluate" else {"schools", "sections", "facilities"}
    ds = Dataset.from_frames({p.stem: pl.read_parquet(p) for p in pq.glob("*.parquet")
                              if wanted is None or p.stem in wanted})
    before = _rss_mb()
    if mode == "polars-resources":
        from junheng.standards.cv import county_stage_cvs
        from junheng.standards.loader import load_standard
        from junheng.standards.rules import ResolvedRules, evaluation_date
        from junheng.standards.school_table import build_school_table

        std = load_standard("quality-balance-2017")
        for _ in range(runs):
            t, c = time.perf_counter(), time.process_time()
            rules = ResolvedRules(std, evaluation_date(2024))
            table, _ = build_school_table(ds.for_year(2024), std, rules)
            county_stage_cvs(table, std.indicators)
            times.append(time.perf_counter() - t)
            cpu.append(time.process_time() - c)
        return {"times": times, "cpu": cpu, "rss_before_mb": before, "peak_rss_mb": _maxrss_mb()}
    from junheng.standards.engine import evaluate

    for _ in range(runs):
        t, c = time.perf_counter(), time.process_time()
        ev = evaluate(ds, "quality-balance-2017", 2024)
        times.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    ev.schools.select("school_id", "stage", "passed").write_parquet(Path(folder) / "polars_schools.parquet")
    ev.county_indicators.select("county_code", "stage", "indicator", "cv", "cv_passed").write_parquet(
        Path(folder) / "polars_cvs.parquet")
    extra["counties_passed"] = sum(1 for c in ev.counties if c["passed"])
    extra["schools_evaluated"] = ev.schools.height
    extra["schools_passed"] = int(ev.schools["passed"].sum())
    return {"times": times, "cpu": cpu, "rss_before_mb": before, "peak_rss_mb": _maxrss_mb(), **extra}


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
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--counties", type=int, default=2850)
    ap.add_argument("--schools", type=int, default=210000)
    ap.add_argument("--runs", type=int, default=5)
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
        tables = generate(args.seed, args.counties, args.schools, not args.no_classes)
        print(f"generated in {time.perf_counter() - t:.1f}s: "
              + ", ".join(f"{k} {v.height:,}" for k, v in tables.items()))
        (Path(tmp) / "parquet").mkdir()
        (Path(tmp) / "csv").mkdir()
        for k, v in tables.items():
            v.write_parquet(Path(tmp) / "parquet" / f"{k}.parquet")
            v.write_csv(Path(tmp) / "csv" / f"{k}.csv")
        del tables
        print(f"python {sys.version.split()[0]}, polars {pl.__version__}, cpus {os.cpu_count()}\n")
        res = {}
        for mode, runs in (("evaluate", args.runs), ("polars-resources", args.runs),
                           ("pandas-resources", args.runs), ("load+evaluate", args.load_runs)):
            res[mode] = run_child(mode, tmp, runs)
        print(f"{'measurement':26} {'median s':>9} {'min s':>8} {'CPU s':>7} {'runs':>5} {'peak RSS MB':>12} {'RSS with data MB':>17}")
        for mode, r in res.items():
            ts = r["times"]
            before = f"{r['rss_before_mb']:.0f}" if r["rss_before_mb"] is not None else "—"
            print(f"{mode:26} {statistics.median(ts):9.3f} {min(ts):8.3f} {statistics.median(r['cpu']):7.2f} {len(ts):5d} "
                  f"{r['peak_rss_mb']:12.0f} {before:>17}")
        ratio = statistics.median(res["pandas-resources"]["times"]) / statistics.median(res["polars-resources"]["times"])
        ratio_full = statistics.median(res["pandas-resources"]["times"]) / statistics.median(res["evaluate"]["times"])
        load = os.getloadavg()[0]
        print(f"\nload average during the run: {load:.1f} on {os.cpu_count()} cpus (wall times are "
              "sensitive to other processes; min and CPU columns less so)")
        ratio_min = min(res["pandas-resources"]["times"]) / min(res["polars-resources"]["times"])
        print(f"speed ratio pandas / polars (resource rules, like for like): {ratio:.1f}x "
              f"median, {ratio_min:.1f}x best run")
        print(f"speed ratio pandas resource rules / full polars evaluate:     {ratio_full:.1f}x")
        e = res["evaluate"]
        print(f"evaluate: {e['schools_evaluated']:,} school-stages evaluated, {e['schools_passed']:,} "
              f"passed the school rule; {e['counties_passed']} counties passed")
        print(compare_verdicts(tmp))


if __name__ == "__main__":
    main()
