"""Import benchmark: a national-scale dataset (about 2,850 counties and 210,000 schools, one
year, every table except person-level ones) imported into SQLite.

Each run is a fresh subprocess (so peak memory is that of one import) importing a CSV folder
into a new SQLite file through the same code as ``junheng import``: read, validate every
column, check references, write in one transaction. Side by side, a baseline that does no
validation at all (pandas.read_csv + DataFrame.to_sql) on the same files.

    .venv/bin/python benchmarks/bench_import.py [--runs 3] [--schools 210000]

Target: the whole import under 60 s and under 2 GB on a 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD_JUNHENG = r"""
import json, resource, sys, time
from junheng.io import db
from junheng.io.validate import read_dataset
src, url = sys.argv[1], sys.argv[2]
t0 = time.perf_counter()
engine = db.make_engine(url); db.migrate(engine)
ds, _ = read_dataset(src, known=db.known_keys(engine))
t1 = time.perf_counter()
summary = db.import_dataset(engine, ds)
t2 = time.perf_counter()
print(json.dumps({"read_validate_s": t1 - t0, "write_s": t2 - t1, "total_s": t2 - t0,
                  "rows": sum(summary.rows.values()),
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

CHILD_PANDAS = r"""
import json, resource, sqlite3, sys, time
from pathlib import Path
import pandas as pd
src, path = sys.argv[1], sys.argv[2]
t0 = time.perf_counter()
con = sqlite3.connect(path)
rows = 0
for f in sorted(Path(src).glob("*.csv")):
    df = pd.read_csv(f, dtype=str)
    df.to_sql(f.stem, con, index=False, chunksize=100_000)
    rows += len(df)
con.commit(); con.close()
print(json.dumps({"total_s": time.perf_counter() - t0, "rows": rows,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def _run(code: str, *args: str) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", code, *args], check=True,
                         capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--counties", type=int, default=2850)
    parser.add_argument("--schools", type=int, default=210_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    from junheng.demo import generate_national
    from junheng.io.writers import write_dataset

    work = Path(tempfile.mkdtemp(prefix="junheng-bench-import-"))
    t0 = time.perf_counter()
    ds = generate_national(seed=args.seed, n_counties=args.counties, n_schools=args.schools)
    gen_s = time.perf_counter() - t0
    src = work / "national"
    write_dataset(ds, src)
    sizes = {t: ds.table(t).height for t in ds}
    print(f"dataset: {sum(sizes.values()):,} rows in {len(sizes)} tables "
          f"(generated in {gen_s:.1f} s)")
    for t, n in sizes.items():
        print(f"  {t:18s} {n:>10,}")

    ours, base = [], []
    for i in range(args.runs):
        # Interleave the two so that machine noise hits both alike.
        ours.append(_run(CHILD_JUNHENG, str(src), f"sqlite:///{work}/j{i}.sqlite"))
        base.append(_run(CHILD_PANDAS, str(src), str(work / f"p{i}.sqlite")))
        print(f"run {i + 1}: junheng {ours[-1]['total_s']:.1f} s, "
              f"pandas.to_sql (no validation) {base[-1]['total_s']:.1f} s")

    def med(runs: list[dict[str, float]], key: str) -> float:
        return statistics.median(r[key] for r in runs)

    rows = ours[0]["rows"]
    print()
    print(f"{'':34s}{'junheng import':>16s}{'pandas to_sql':>16s}")
    print(f"{'median wall time (s)':34s}{med(ours, 'total_s'):16.1f}{med(base, 'total_s'):16.1f}")
    print(f"{'  of which read + validate (s)':34s}{med(ours, 'read_validate_s'):16.1f}")
    print(f"{'  of which write (s)':34s}{med(ours, 'write_s'):16.1f}")
    print(f"{'rows per second':34s}{rows / med(ours, 'total_s'):16,.0f}"
          f"{rows / med(base, 'total_s'):16,.0f}")
    print(f"{'peak memory (MB, max RSS)':34s}{med(ours, 'peak_mb'):16.0f}{med(base, 'peak_mb'):16.0f}")
    print(f"{'time ratio junheng / baseline':34s}{med(ours, 'total_s') / med(base, 'total_s'):16.2f}")
    print(f"target: < 60 s and < 2048 MB -> "
          f"{'met' if med(ours, 'total_s') < 60 and med(ours, 'peak_mb') < 2048 else 'NOT met'}")


if __name__ == "__main__":
    main()
