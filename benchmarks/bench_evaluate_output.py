"""Benchmark: the whole ``junheng evaluate`` command on the national dataset against a vectorised
pandas peer, side by side (issue #15, part 1).

Run by hand:  .venv/bin/python benchmarks/bench_evaluate_output.py [--rounds 3] [--schools 214000]

Both sides are whole processes started from the shell, timed from outside (wall clock, CPU
seconds = user + system, and peak resident memory by GNU time), in alternating rounds so that
both see the same machine load. On a shared machine the CPU seconds are the steadier figure:
wall time then mostly measures the other processes. Ratios of both are printed.

- ``junheng evaluate CSV_FOLDER --standard quality-balance-2017 --year 2024 --out x.json``:
  read the CSV folder (the tables the command needs), validate every value against the exchange
  format, evaluate the whole method (resource indicators and CVs, the county items, class bands)
  and write the JSON document (compact, without traces; the default);
- the pandas peer (``--peer`` below): read the same CSV files with pandas, check them (required
  columns, numbers finite and not negative, unique keys, every section's school known), apply the
  same resource rules (scope, weighted split of stocks, exclusions, indicator values, the
  6-of-7-and-85 % school rule, the student-weighted CV per county × stage × indicator and its
  limit) and write the school verdicts and the CVs as JSON.

The peer does less than the command (no county items, no class bands, no class list read), so
the ratio favours the peer. A third line is the floor under any implementation that reads the
whole folder in Python: start Python, import Polars and read the CSV files as text, nothing else
(no validation, no evaluation, no output); its ratio to the peer says how low the command's
ratio can go on this input. Also measured once: ``--format parquet`` (one table per level).
The former default, the indented document with every school's traces (``--indent 1 --trace``),
is not run here: at this scale it took about 150 s and 11.5 GB.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent

# The floor: what reading the folder costs before anything is checked, judged or written.
FLOOR = ("import pathlib, sys, polars as pl\n"
         "for f in sorted(pathlib.Path(sys.argv[1]).glob('*.csv')):\n"
         "    pl.read_csv(f, infer_schema=False)\n")


# ----------------------------------------------------------------------------- the peer


def peer(folder: Path, out: Path) -> None:
    import numpy as np
    import pandas as pd

    sys.path.insert(0, str(Path(__file__).parent))
    from bench_standards import pandas_resources, pandas_rules

    read = {"schools": ["school_id", "county_code", "school_type", "ownership"],
            "sections": None, "facilities": None, "counties": ["county_code", "county_name"]}
    tables = {t: pd.read_csv(folder / f"{t}.csv", usecols=cols,
                             dtype={"school_id": str, "county_code": str})
              for t, cols in read.items()}
    problems = []
    for t, df in tables.items():
        num = df.select_dtypes("number")
        if not np.isfinite(num.to_numpy(dtype=float, na_value=0.0)).all():
            problems.append(f"{t}: a number is not finite")
        if (num < 0).any().any():
            problems.append(f"{t}: a negative number")
    if tables["schools"]["school_id"].duplicated().any():
        problems.append("schools: duplicate school_id")
    if tables["sections"].duplicated(["year", "school_id", "stage"]).any():
        problems.append("sections: duplicate (year, school_id, stage)")
    if tables["facilities"].duplicated(["year", "school_id"]).any():
        problems.append("facilities: duplicate (year, school_id)")
    if not tables["sections"]["school_id"].isin(tables["schools"]["school_id"]).all():
        problems.append("sections: unknown school_id")
    if problems:
        raise SystemExit("; ".join(problems))
    schools, cvs = pandas_resources(tables, pandas_rules())
    with out.open("w", encoding="utf-8") as fh:
        fh.write('{"schools":')
        fh.write(schools.to_json(orient="records", force_ascii=False))
        fh.write(',"cvs":')
        fh.write(cvs.to_json(orient="records", force_ascii=False))
        fh.write("}\n")


# ----------------------------------------------------------------------------- timing


def timed(cmd: list[str]) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds, peak RSS MB) of one whole process, measured by GNU time."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as tf:
        t = time.perf_counter()
        res = subprocess.run(["/usr/bin/time", "-o", tf.name, "-f", "%U %S %M", *cmd],
                             capture_output=True, text=True, check=False)
        wall = time.perf_counter() - t
        if res.returncode:
            raise SystemExit(f"{' '.join(cmd)} failed:\n{res.stderr[-2000:]}")
        user, system, peak = tf.read().split()[-3:]
        return wall, float(user) + float(system), int(peak) / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--counties", type=int, default=2850)
    ap.add_argument("--schools", type=int, default=214000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--data", type=Path, help="an existing national CSV folder")
    # The class list (~3.4 M rows, 150 MB) is read and validated by the command (the class-size
    # items and bands) but not by the peer; without it those items are "not reported".
    ap.add_argument("--no-classes", action="store_true", help="leave the class list out")
    ap.add_argument("--peer", nargs=2, metavar=("FOLDER", "OUT"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.peer:
        peer(Path(args.peer[0]), Path(args.peer[1]))
        return

    with tempfile.TemporaryDirectory() as tmp:
        folder = args.data
        if folder is None:
            from junheng.demo import generate_national

            folder = Path(tmp) / "csv"
            folder.mkdir()
            t = time.perf_counter()
            tables = generate_national(args.seed, n_counties=args.counties,
                                       n_schools=args.schools,
                                       with_classes=not args.no_classes).tables
            for k, v in tables.items():
                v.write_csv(folder / f"{k}.csv")
            print(f"generated in {time.perf_counter() - t:.1f}s: "
                  + ", ".join(f"{k} {v.height:,}" for k, v in tables.items()))
            del tables
        out = Path(tmp)
        # The same command on only the four tables the peer reads (no class list, rooms,
        # county facts or finance): the county items it cannot judge are then 未报送. This
        # line separates the cost of the extra input from the cost of the same work.
        same = out / "peer-tables"
        same.mkdir()
        for t in ("counties", "schools", "sections", "facilities"):
            (same / f"{t}.csv").symlink_to(Path(folder).resolve() / f"{t}.csv")
        junheng = [str(BIN / "junheng"), "evaluate", "--standard", "quality-balance-2017",
                   "--year", "2024"]
        cmds = {
            "junheng evaluate (json)": [*junheng, str(folder), "--out", str(out / "ev.json")],
            "pandas peer (json)": [sys.executable, __file__, "--peer", str(folder),
                                   str(out / "peer.json")],
            "junheng evaluate, peer's 4 tables": [*junheng, str(same),
                                                  "--out", str(out / "ev4.json")],
            "floor: import Polars, read the CSVs": [sys.executable, "-c", FLOOR, str(folder)],
        }
        times: dict[str, list[float]] = {k: [] for k in cmds}
        cpus: dict[str, list[float]] = {k: [] for k in cmds}
        peaks: dict[str, float] = dict.fromkeys(cmds, 0.0)
        paired: list[float] = []
        paired_cpu: list[float] = []
        loads: list[float] = []
        ours, theirs, _same_input, floor = cmds
        for r in range(args.rounds):
            order = list(cmds) if r % 2 == 0 else list(reversed(cmds))
            got: dict[str, tuple[float, float]] = {}
            loads.append(os.getloadavg()[0])
            for name in order:
                wall, cpu, peak = timed(cmds[name])
                got[name] = (wall, cpu)
                times[name].append(wall)
                cpus[name].append(cpu)
                peaks[name] = max(peaks[name], peak)
            paired.append(got[ours][0] / got[theirs][0])
            paired_cpu.append(got[ours][1] / got[theirs][1])
            print(f"round {r + 1} (load {loads[-1]:.1f}): "
                  + ", ".join(f"{k} {w:.2f}s wall {c:.2f}s CPU" for k, (w, c) in got.items()),
                  flush=True)
        extra = {
            "junheng evaluate --format parquet": [*junheng, str(folder), "--format", "parquet",
                                                  "--out", str(out / "tables")],
        }
        once = {k: timed(v) for k, v in extra.items()}
        sizes = {"ev.json": (out / "ev.json").stat().st_size,
                 "peer.json": (out / "peer.json").stat().st_size,
                 "parquet folder": sum(p.stat().st_size for p in (out / "tables").iterdir())}
        print(f"\npython {sys.version.split()[0]}, cpus {os.cpu_count()}, load average "
              f"{statistics.median(loads):.1f} (median at round starts), now "
              f"{os.getloadavg()[0]:.1f}")
        print(f"{'whole process':38} {'median s':>9} {'best s':>7} {'CPU s':>7} {'runs':>5} "
              f"{'peak RSS MB':>12}")
        for k, ts in times.items():
            print(f"{k:38} {statistics.median(ts):9.2f} {min(ts):7.2f} "
                  f"{statistics.median(cpus[k]):7.2f} {len(ts):5d} {peaks[k]:12.0f}")
        for k, (wall, cpu, peak) in once.items():
            print(f"{k:38} {wall:9.2f} {wall:7.2f} {cpu:7.2f} {1:5d} {peak:12.0f}")
        print(f"\nratio floor (read the CSVs, nothing else) / pandas peer, wall: "
              f"{statistics.median(times[floor]) / statistics.median(times[theirs]):.2f}, CPU: "
              f"{statistics.median(cpus[floor]) / statistics.median(cpus[theirs]):.2f} (medians)")
        sm = statistics.median(times[_same_input])
        print(f"\nratio junheng on the peer's 4 tables / pandas peer, wall: "
              f"{sm / statistics.median(times[theirs]):.2f} (medians)")
        jm, pm = statistics.median(times[ours]), statistics.median(times[theirs])
        jc, pc = statistics.median(cpus[ours]), statistics.median(cpus[theirs])
        print(f"\nratio junheng / pandas peer, wall: {jm / pm:.2f} (medians), paired by round "
              f"{statistics.median(paired):.2f} ({', '.join(f'{x:.2f}' for x in paired)}); "
              f"goal ≤ 0.33")
        print(f"ratio junheng / pandas peer, CPU seconds: {jc / pc:.2f} (medians), paired by "
              f"round {statistics.median(paired_cpu):.2f} "
              f"({', '.join(f'{x:.2f}' for x in paired_cpu)})")
        print("output sizes MB: " + ", ".join(f"{k} {v / 1e6:.0f}" for k, v in sizes.items()))


if __name__ == "__main__":
    main()
