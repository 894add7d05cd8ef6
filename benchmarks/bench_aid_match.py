"""Aid matching benchmark: 200,000 students on the roll against 50,000 department-list rows.

The data is generated in the child process (valid resident ids with their check digits, names,
birth dates; a mix of list rows matched by number, by name and birth date with spaced or
full-width names, bad check digits and people not on the roll). Each run is a fresh
subprocess, so the peak RSS printed is that of one generate-and-evaluate; the time printed is
``evaluate_aid`` alone (match, eligibility, gap) — the whole of `junheng aid match` after the
data is loaded. Side by side: the matcher alone (match_lists).

    .venv/bin/python benchmarks/bench_aid_match.py [--runs 5] [--students 200000] [--lists 50000]

Goal: a few seconds and well under 1 GB on a 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

CHILD = r"""
import datetime as dt, json, resource, sys, time
import numpy as np
import polars as pl
from junheng.aid.eligibility import evaluate_aid
from junheng.aid.match import match_lists
from junheng.domain.dataset import Dataset

n_students, n_lists = int(sys.argv[1]), int(sys.argv[2])
rng = np.random.default_rng(7)
W = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
CHECK = np.array(list("10X98765432"))
schools = [f"62070{c}{i:04d}" for c in "2345" for i in range(250)]
birth = np.datetime64("2008-01-01") + rng.integers(0, 365 * 14, n_students)
digits = np.zeros((n_students, 17), dtype=np.int64)
digits[:, :6] = [6, 2, 0, 7, 0, 2]
ymd = np.array([str(b).replace("-", "") for b in birth])
for k in range(8):
    digits[:, 6 + k] = [int(s[k]) for s in ymd]
digits[:, 14:] = rng.integers(0, 10, (n_students, 3))
check = CHECK[(digits * W).sum(axis=1) % 11]
rids = np.char.add(np.array(["".join(map(str, r)) for r in digits]), check)
surnames = np.array(list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"))
given = np.array(list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰"))
names = np.char.add(np.char.add(surnames[rng.integers(0, 20, n_students)],
                                given[rng.integers(0, len(given), n_students)]),
                    given[rng.integers(0, len(given), n_students)])
missing = rng.random(n_students) < 0.05
students = pl.DataFrame({
    "year": 2024, "student_id": [f"G{i:09d}" for i in range(n_students)],
    "school_id": np.array(schools)[rng.integers(0, len(schools), n_students)],
    "grade": rng.integers(0, 13, n_students),
    "resident_id": pl.Series([None if m else r for m, r in zip(missing, rids.tolist())],
                             dtype=pl.Utf8),
    "name": names, "birth_date": pl.Series(birth.astype("datetime64[D]")).cast(pl.Date),
    "is_disabled": rng.random(n_students) < 0.01,
    "family_hardship_level": rng.integers(0, 4, n_students) * (rng.random(n_students) < 0.2),
})
pick = rng.integers(0, n_students, n_lists)
kind = rng.random(n_lists)
lst_rid = rids[pick].astype(object)
lst_rid[kind < 0.2] = None                                        # by name + birth date
bad = (kind >= 0.2) & (kind < 0.22)
lst_rid[bad] = [r[:17] + ("0" if r[17] != "0" else "1") for r in rids[pick][bad]]
lst_name = names[pick].astype(object)
spaced = kind < 0.1
lst_name[spaced] = [n[0] + " " + n[1:] for n in names[pick][spaced]]
stranger = kind > 0.97                                            # not on the roll
lst_rid[stranger] = None
lst_name[stranger] = "外来人员"
cats = np.array(["dibao", "tekun", "orphan", "unsupported", "monitored", "disabled"])
lists = pl.DataFrame({
    "year": 2024, "source": "civil_affairs",
    "category": cats[rng.integers(0, len(cats), n_lists)],
    "resident_id": pl.Series(lst_rid, dtype=pl.Utf8), "name": pl.Series(lst_name, dtype=pl.Utf8),
    "birth_date": students["birth_date"].gather(pick)})
counties = pl.DataFrame({"county_code": ["620702", "620703", "620704", "620705"],
                         "county_name": ["a", "b", "c", "d"]})
school_frame = pl.DataFrame({"school_id": schools, "school_name": schools,
    "county_code": [s[:6] for s in schools], "school_type": "nine_year", "ownership": "public",
    "locale": np.array(["urban", "town", "rural"])[rng.integers(0, 3, len(schools))]})
awards = students.filter(pl.col("family_hardship_level") > 0).sample(fraction=0.8, seed=1) \
    .select("year", "student_id", pl.lit("living_allowance").alias("program"),
            pl.lit(1000.0).alias("amount_yuan"))
ds = Dataset.from_frames({"counties": counties, "schools": school_frame, "students": students,
                          "aid_lists": lists, "aid_awards": awards})
t0 = time.perf_counter()
m = match_lists(students, lists)
t1 = time.perf_counter()
r = evaluate_aid(ds, 2024)
t2 = time.perf_counter()
print(json.dumps({"match_s": t1 - t0, "evaluate_s": t2 - t1,
                  "matches": r.match.matches.height, "problems": r.match.problems.height,
                  "not_aided": r.not_aided.height,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--students", type=int, default=200_000)
    ap.add_argument("--lists", type=int, default=50_000)
    args = ap.parse_args()
    runs = []
    for i in range(args.runs):
        out = subprocess.run([sys.executable, "-c", CHILD, str(args.students), str(args.lists)],
                             capture_output=True, text=True, timeout=600)
        if out.returncode != 0:
            sys.exit(out.stderr)
        rec = json.loads(out.stdout.strip().splitlines()[-1])
        runs.append(rec)
        print(f"run {i + 1}: match {rec['match_s']:.2f} s, evaluate (match + eligibility + gap) "
              f"{rec['evaluate_s']:.2f} s, peak RSS {rec['peak_mb']:.0f} MB "
              f"(incl. generating the data); {rec['matches']} matches, "
              f"{rec['problems']} problems, {rec['not_aided']} not aided")
    med = {k: statistics.median(r[k] for r in runs) for k in ("match_s", "evaluate_s",
                                                              "peak_mb")}
    print(f"{args.students:,} students x {args.lists:,} list rows, {args.runs} runs: "
          f"median match_lists {med['match_s']:.2f} s, median evaluate_aid "
          f"{med['evaluate_s']:.2f} s, median peak RSS {med['peak_mb']:.0f} MB")


if __name__ == "__main__":
    main()
