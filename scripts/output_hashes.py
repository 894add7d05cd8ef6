"""SHA-256 of every command's output on the demo data: proof that a refactor changed nothing.

    python scripts/output_hashes.py                 # print the hashes (demo made in a temp dir)
    python scripts/output_hashes.py --check         # compare with the committed golden file
    python scripts/output_hashes.py --write         # rewrite the golden file (say why in the commit)
    python scripts/output_hashes.py --data DIR      # use an existing demo workbook or CSV folder

The demo is ``junheng demo`` with the default seed. Each output is run through the real CLI
(``junheng.cli.main``) and normalised before hashing so that only content counts:

- JSON is parsed and written again compactly, key order kept (so indentation does not count
  but a renamed, moved or reordered key does); wall-clock figures (``*seconds``) are dropped.
- xlsx is read cell by cell (values of every sheet, in order); the zip container, styles and
  document timestamps do not count.
- HTML is hashed as text.

``--json-only`` leaves the xlsx and HTML renderings out (the test uses it to stay quick).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import json
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
GOLDEN = REPO / "tests" / "golden" / "demo_output_hashes.json"

# name → (CLI arguments after DATA, output suffix). The evaluate JSON is the complete document
# (every school with its traces: ``--trace``, since the default became compact without school
# traces); options that reproduce it are spelled out, so that a change of defaults does not
# change what is compared. Indentation does not count (see _json_bytes).
EVALUATE_JSON = ["--format", "json", "--trace"]
CASES: dict[str, tuple[list[str], str]] = {
    "evaluate-basic-balance-2012.json": (
        ["evaluate", "{data}", "--standard", "basic-balance-2012", "--year", "2024",
         *EVALUATE_JSON], ".json"),
    "evaluate-quality-balance-2017.json": (
        ["evaluate", "{data}", "--standard", "quality-balance-2017", "--year", "2024",
         *EVALUATE_JSON], ".json"),
    "evaluate-quality-balance-2017-county.json": (
        ["evaluate", "{data}", "--standard", "quality-balance-2017", "--year", "2023",
         "--county", "620722", *EVALUATE_JSON], ".json"),
    "evaluate-zhangye-2024-targets.json": (
        ["evaluate", "{data}", "--standard", "zhangye-2024-targets", "--year", "2024",
         *EVALUATE_JSON], ".json"),
    "evaluate-quality-balance-2017.xlsx": (
        ["evaluate", "{data}", "--standard", "quality-balance-2017", "--year", "2024",
         "--format", "xlsx"], ".xlsx"),
    "evaluate-zhangye-2024-targets.xlsx": (
        ["evaluate", "{data}", "--standard", "zhangye-2024-targets", "--year", "2024",
         "--format", "xlsx"], ".xlsx"),
    "evaluate-basic-balance-2012.html": (
        ["evaluate", "{data}", "--standard", "basic-balance-2012", "--year", "2024",
         "--format", "html"], ".html"),
    "evaluate-quality-balance-2017.html": (
        ["evaluate", "{data}", "--standard", "quality-balance-2017", "--year", "2024",
         "--format", "html"], ".html"),
    "plan-620722-2028.json": (
        ["plan", "{data}", "--county", "620722", "--target-year", "2028"], ".json"),
    "plan-620722-2028.xlsx": (
        ["plan", "{data}", "--county", "620722", "--target-year", "2028", "--format", "xlsx"],
        ".xlsx"),
    "zones-620723-primary-2024.json": (
        ["zones", "{data}", "--county", "620723", "--stage", "primary", "--year", "2024",
         "--format", "json"], ".json"),
    "forecast.json": (["forecast", "{data}", "--format", "json"], ".json"),
}


def _drop_clock(value: Any) -> Any:
    """Wall-clock figures differ run to run and say nothing about the result."""
    if isinstance(value, dict):
        return {k: _drop_clock(v) for k, v in value.items()
                if not (isinstance(k, str) and k.endswith("seconds"))}
    if isinstance(value, list):
        return [_drop_clock(v) for v in value]
    return value


def _json_bytes(path: Path) -> bytes:
    doc = _drop_clock(json.loads(path.read_text(encoding="utf-8")))
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()


def _is_clock_row(row: tuple[Any, ...]) -> bool:
    """A row labelled as a duration in seconds (e.g. 求解用时（秒）) holds a wall-clock figure."""
    label = row[0] if row else None
    return isinstance(label, str) and ("（秒）" in label or "(秒)" in label or "seconds" in label)


def _xlsx_bytes(path: Path) -> bytes:
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=False)
    sheets = []
    for ws in wb.worksheets:
        rows = [[None if c is None else str(c) for c in row] for row in ws.iter_rows(values_only=True)
                if not _is_clock_row(row)]
        sheets.append([ws.title, rows])
    wb.close()
    return json.dumps(sheets, ensure_ascii=False, separators=(",", ":")).encode()


def _html_bytes(path: Path) -> bytes:
    return path.read_bytes()


NORMALISE: dict[str, Callable[[Path], bytes]] = {
    ".json": _json_bytes, ".xlsx": _xlsx_bytes, ".html": _html_bytes}


def make_demo(folder: Path) -> Path:
    """The demo with the default seed, written as a CSV folder (quickest to read back; the
    round-trip tests prove it holds the same data as the workbook)."""
    from junheng.cli import main

    data = folder / "demo"
    with contextlib.redirect_stdout(io.StringIO()):
        if main(["demo", "--out", str(data)]) != 0:
            raise RuntimeError("junheng demo failed")
    return data


def output_hashes(data: Path, work: Path, json_only: bool = False) -> dict[str, str]:
    from junheng.cli import main

    out: dict[str, str] = {}
    for name, (argv, suffix) in CASES.items():
        if json_only and suffix != ".json":
            continue
        target = work / name
        args = [a.replace("{data}", str(data)) for a in argv] + ["--out", str(target)]
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            rc = main(args)
        if rc != 0:
            raise RuntimeError(f"junheng {' '.join(args)} exited {rc}")
        out[name] = hashlib.sha256(NORMALISE[suffix](target)).hexdigest()
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, help="demo workbook or CSV folder (default: make one)")
    ap.add_argument("--json-only", action="store_true")
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="compare with " + str(GOLDEN.name))
    mode.add_argument("--write", action="store_true", help="rewrite " + str(GOLDEN.name))
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        data = args.data or make_demo(work)
        hashes = output_hashes(data, work, json_only=args.json_only)
    for name, digest in hashes.items():
        print(f"{digest}  {name}")
    if args.write:
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_text(json.dumps(hashes, indent=1) + "\n", encoding="utf-8")
        print(f"written {GOLDEN.relative_to(REPO)}")
    if args.check:
        golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
        bad = [n for n, d in hashes.items() if golden.get(n) != d]
        for n in bad:
            print(f"DIFFERS: {n}", file=sys.stderr)
        return 1 if bad else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
