"""Benchmark: admissions allocation for one county of 1,000 schools and 100,000 applicants
with 5 choices each (shared/spec/admissions.md; issue 10).

Run by hand:  .venv/bin/python benchmarks/bench_admissions.py [--applicants 100000]
              [--schools 1000] [--runs 3]

Prints medians of interleaved runs, side by side:

- **allocation itself**: ``allocate(ds, ...)`` on an in-memory dataset — freeze and hash the
  list, draw the lottery, build preference lists, round 1 (batched deferred acceptance on
  numpy arrays), round 2 (调剂), and the explanations of every result; its phases too;
- **whole command**: ``junheng admissions allocate DATA --out result.json`` in-process (load and
  validate the CSV folder, draw, allocate, write the JSON), against a plain pure-Python
  command doing the same job: the same loader, the same lottery, preference lists in dicts,
  one-proposal-at-a-time deferred acceptance with a heap per school, a linear scan for round 2,
  and a JSON file with the spec's fields. Both must place every applicant identically (checked).

The data: a seeded synthetic county; 900 public and 100 private schools on a 60 km square;
2,000 residential areas, each zoned to its nearest public school and a quarter also to the
second nearest (多校划片); seats 97 % of applicants, so round 2 has work; choices mix zone
schools, nearby public schools (often not acceptable) and private schools.
"""

from __future__ import annotations

import argparse
import contextlib
import heapq
import io
import json
import math
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

COUNTY = "620702"
YEAR = 2026
CATEGORIES = ["preferential", "hukou_house", "house", "hukou", "migrant", "other"]
CAT_WEIGHTS = [0.01, 0.45, 0.15, 0.15, 0.2, 0.04]


def make_dataset(applicants: int, schools: int, seed: int = 7):  # type: ignore[no-untyped-def]
    from junheng.domain.dataset import Dataset

    rng = np.random.default_rng(seed)
    n_private = schools // 10
    ids = [f"{COUNTY}{i:04d}" for i in range(schools)]
    own = np.array(["public"] * (schools - n_private) + ["private"] * n_private)
    rng.shuffle(own)
    s_lat = 38.7 + rng.random(schools) * 0.54
    s_lon = 100.2 + rng.random(schools) * 0.7
    n_areas = 2000
    a_lat = 38.7 + rng.random(n_areas) * 0.54
    a_lon = 100.2 + rng.random(n_areas) * 0.7
    public = np.nonzero(own == "public")[0]
    d = (a_lat[:, None] - s_lat[None, public]) ** 2 + (
        (a_lon[:, None] - s_lon[None, public]) * 0.78) ** 2
    near = public[np.argsort(d, axis=1)[:, :8]]
    zone_rows = [(f"A{a:05d}", ids[near[a, 0]]) for a in range(n_areas)]
    zone_rows += [(f"A{a:05d}", ids[near[a, 1]]) for a in range(0, n_areas, 4)]
    seats = rng.multinomial(int(applicants * 0.97), np.full(schools, 1 / schools))
    area = rng.integers(0, n_areas, applicants)
    choices = np.empty((applicants, 5), dtype=object)
    privates = np.nonzero(own == "private")[0]
    for k in range(5):
        pick = rng.random(applicants)
        nearby = near[area, rng.integers(0, 8, applicants)]
        priv = privates[rng.integers(0, len(privates), applicants)]
        col = np.where(pick < 0.25, priv, nearby)
        choices[:, k] = [ids[c] for c in col]
    # distinct choices per row, as validation demands: a repeat becomes empty
    for k in range(1, 5 + 0):
        for j in range(k):
            same = choices[:, k] == choices[:, j]
            choices[same, k] = None
    app_ids = [f"{YEAR}-{i:06d}" for i in rng.permutation(applicants)]
    cats = rng.choice(CATEGORIES, size=applicants, p=CAT_WEIGHTS)
    return Dataset.from_frames({
        "counties": pl.DataFrame({"county_code": [COUNTY], "county_name": ["甘州区"]}),
        "schools": pl.DataFrame({
            "school_id": ids, "school_name": [f"学校{i}" for i in range(schools)],
            "county_code": [COUNTY] * schools, "school_type": ["primary"] * schools,
            "ownership": own.tolist(), "locale": ["urban"] * schools,
            "latitude": s_lat, "longitude": s_lon}),
        "areas": pl.DataFrame({
            "area_id": [f"A{a:05d}" for a in range(n_areas)],
            "area_name": [f"片区{a}" for a in range(n_areas)], "county_code": [COUNTY] * n_areas,
            "latitude": a_lat, "longitude": a_lon}),
        "area_assignments": pl.DataFrame({
            "year": [YEAR] * len(zone_rows), "area_id": [z[0] for z in zone_rows],
            "stage": ["primary"] * len(zone_rows), "school_id": [z[1] for z in zone_rows]}),
        "admission_plans": pl.DataFrame({
            "year": [YEAR] * schools, "school_id": ids, "entry_stage": ["primary"] * schools,
            "seats": seats.astype(np.int64)}),
        "applications": pl.DataFrame({
            "year": [YEAR] * applicants, "application_id": app_ids,
            "county_code": [COUNTY] * applicants, "entry_stage": ["primary"] * applicants,
            "area_id": [f"A{a:05d}" for a in area], "category": cats.tolist(),
            **{f"choice_{k + 1}": pl.Series(choices[:, k].tolist(), dtype=pl.Utf8)
               for k in range(5)}}),
    })


# ------------------------------------------------------------------- pure-Python baseline

def python_command(data: str, out: Path, seed: str) -> dict[str, str | None]:
    """The whole command in plain Python (same loader and lottery as the product)."""
    from junheng.admissions.notary import freeze, lottery_numbers
    from junheng.io.source import load_dataset

    ds = load_dataset(data)
    frozen = freeze(ds.table("applications"), COUNTY, YEAR, "primary")
    apps = frozen.frame.to_dicts()
    lot = dict(zip([a["application_id"] for a in apps],
                   lottery_numbers([a["application_id"] for a in apps], frozen.sha256, seed)
                   .tolist(), strict=True))
    rank = {c: i for i, c in enumerate(CATEGORIES)}
    schools = {r["school_id"]: r for r in ds.table("schools").to_dicts()
               if r["county_code"] == COUNTY}
    seats = dict.fromkeys(schools, 0)
    for r in ds.table("admission_plans").to_dicts():
        if r["year"] == YEAR and r["entry_stage"] == "primary" and r["school_id"] in seats:
            seats[r["school_id"]] += r["seats"]
    zone: dict[str, list[str]] = {}
    for r in ds.table("area_assignments").to_dicts():
        if (r["year"] == YEAR and r["stage"] == "primary" and r["school_id"] in schools
                and schools[r["school_id"]]["ownership"] == "public"):
            zone.setdefault(r["area_id"], []).append(r["school_id"])
    prefs: dict[str, list[str]] = {}
    pri: dict[str, tuple[int, int]] = {}
    for a in apps:
        aid = a["application_id"]
        z = set(zone.get(a["area_id"], []))
        lst: list[str] = []
        for k in range(1, 6):
            s = a[f"choice_{k}"]
            if s in schools and seats[s] > 0 and s not in lst and (
                    schools[s]["ownership"] == "private" or s in z):
                lst.append(s)
        lst += [s for s in sorted(z) if s not in lst and seats[s] > 0]
        prefs[aid] = lst
        pri[aid] = (rank[a["category"]], lot[aid])
    held: dict[str, list[tuple[tuple[int, int], str]]] = {s: [] for s in schools}
    nxt = dict.fromkeys(prefs, 0)
    match: dict[str, str | None] = dict.fromkeys(prefs)
    free = list(prefs)
    while free:
        aid = free.pop()
        if nxt[aid] >= len(prefs[aid]):
            continue
        s = prefs[aid][nxt[aid]]
        nxt[aid] += 1
        p = (0, pri[aid][1]) if schools[s]["ownership"] == "private" else pri[aid]
        heap = held[s]
        # max-heap on priority: the worst held is on top
        heapq.heappush(heap, ((-p[0], -p[1]), aid))
        match[aid] = s
        if len(heap) > seats[s]:
            _, bumped = heapq.heappop(heap)
            match[bumped] = None
            free.append(bumped)
    rnd = {a: (1 if match[a] else None) for a in match}
    left = {s: seats[s] - len(held[s]) for s in schools}
    areas = {r["area_id"]: r for r in ds.table("areas").to_dicts()}
    unplaced = sorted((a for a in prefs if match[a] is None), key=lambda a: pri[a])
    area_of = {a["application_id"]: a["area_id"] for a in apps}
    public = sorted(s for s in schools if schools[s]["ownership"] == "public" and seats[s] > 0)
    for aid in unplaced:
        ar = areas[area_of[aid]]
        best = None
        for s in public:
            if left[s] <= 0:
                continue
            info = schools[s]
            p1, p2 = math.radians(ar["latitude"]), math.radians(info["latitude"])
            dl = math.radians(info["longitude"] - ar["longitude"])
            h = (math.sin((p2 - p1) / 2) ** 2
                 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2)
            dist = 2 * 6371.0088 * math.asin(math.sqrt(min(1.0, h)))
            if best is None or (dist, s) < best:
                best = (dist, s)
        if best:
            match[aid] = best[1]
            left[best[1]] -= 1
            rnd[aid] = 2
    doc = {"county_code": COUNTY, "year": YEAR, "stage": "primary", "seed": seed,
           "list_sha256": frozen.sha256, "applicants": len(apps),
           "results": [{"application_id": a, "lottery_number": lot[a], "round": rnd[a],
                        "school_id": match[a]} for a in sorted(prefs)],
           "schools": [{"school_id": s, "seats": seats[s]} for s in sorted(schools)]}
    out.write_text(json.dumps(doc, ensure_ascii=False, indent=1), "utf-8")
    return match


def junheng_command(data: str, out: Path, seed: str) -> None:
    from junheng.cli import main

    with contextlib.redirect_stderr(io.StringIO()):
        rc = main(["admissions", "allocate", data, "--county", COUNTY, "--year", str(YEAR),
                   "--stage", "primary", "--seed", seed, "--out", str(out)])
    assert rc == 0


CPU: dict[str, list[float]] = {}


def timed(fn, *args):  # type: ignore[no-untyped-def]
    """Wall time (returned) and CPU time of the whole process, all threads (kept in CPU):
    on a machine shared with other jobs the CPU figure is what the code itself costs."""
    t = time.perf_counter()
    c = time.process_time()
    value = fn(*args)
    CPU.setdefault(fn.__name__, []).append(time.process_time() - c)
    return time.perf_counter() - t, value


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--applicants", type=int, default=100_000)
    ap.add_argument("--schools", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()

    from junheng.admissions import allocate as alloc_mod
    from junheng.admissions import mechanism
    from junheng.admissions.allocate import allocate
    from junheng.io.writers import write_dataset

    t, ds = timed(make_dataset, args.applicants, args.schools)
    print(f"data: {args.applicants:,} applicants x 5 choices, {args.schools:,} schools "
          f"(generated in {t:.1f} s)")
    tmp = Path(tempfile.mkdtemp(prefix="bench-adm-"))
    data = str(tmp / "data")
    write_dataset(ds, Path(data))

    # phases of the allocation, by wrapping the module's functions
    phases: dict[str, list[float]] = {}

    def wrap(mod, name, label):  # type: ignore[no-untyped-def]
        fn = getattr(mod, name)

        def inner(*a, **k):  # type: ignore[no-untyped-def]
            t0 = time.perf_counter()
            try:
                return fn(*a, **k)
            finally:
                phases.setdefault(label, []).append(time.perf_counter() - t0)
        setattr(mod, name, inner)

    wrap(alloc_mod, "freeze", "freeze + SHA-256")
    wrap(alloc_mod, "lottery_numbers", "lottery draw")
    wrap(alloc_mod, "_preference_entries", "preference lists")
    wrap(alloc_mod, "deferred_acceptance", "round 1 (DA)")
    wrap(alloc_mod, "nearest_free", "round 2 (调剂)")
    wrap(alloc_mod, "_explain", "explanations")
    del mechanism

    alloc_times, ours, base = [], [], []
    result = None
    match: dict[str, str | None] = {}
    for run in range(args.runs):
        t, result = timed(allocate, ds, COUNTY, YEAR, "primary", f"seed-{run}")
        alloc_times.append(t)
        t, _ = timed(junheng_command, data, tmp / "ours.json", "seed-x")
        ours.append(t)
        t, match = timed(python_command, data, tmp / "base.json", "seed-x")
        base.append(t)
        print(f"  run {run + 1}: allocate {alloc_times[-1]:.2f} s, command {ours[-1]:.2f} s, "
              f"pure-Python command {base[-1]:.2f} s", flush=True)

    doc = json.loads((tmp / "ours.json").read_text("utf-8"))
    got = {r["application_id"]: r["school_id"] for r in doc["results"]}
    same = got == match
    assert result is not None
    rounds = result.results["round"].value_counts().sort("round")
    print(f"outcome: {dict(rounds.iter_rows())} (round: applicants); identical to the "
          f"pure-Python DA: {same}")
    print("phases of allocate (median s): " + ", ".join(
        f"{k} {statistics.median(v):.3f}" for k, v in phases.items()))
    m_alloc, m_ours, m_base = (statistics.median(x) for x in (alloc_times, ours, base))
    c_alloc, c_ours, c_base = (statistics.median(CPU[k]) for k in (
        "allocate", "junheng_command", "python_command"))
    print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"allocation itself: median {m_alloc:.2f} s wall, {c_alloc:.2f} s CPU (goal < 2 s)")
    print(f"whole command: junheng {m_ours:.2f} s vs pure-Python {m_base:.2f} s wall, "
          f"ratio {m_ours / m_base:.2f}; CPU {c_ours:.2f} s vs {c_base:.2f} s, "
          f"ratio {c_ours / c_base:.2f} (goal well under 0.5)")
    if not same:
        sys.exit("the two implementations disagree")


if __name__ == "__main__":
    main()
