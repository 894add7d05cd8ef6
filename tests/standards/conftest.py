"""Collect the standards cases (``cases/*.yaml``) as pytest items.

A case is written in the bureau's words: a small dataset inline, a school year, and the
verdicts a supervisor expects. The expected values are a subset of the engine's JSON output
(``Evaluation.to_json()``): every key written in the case must be present with that value;
numbers agree to 4 decimals (|Δ| ≤ 5e-5). Schools are matched by ``school_id`` and ``stage``,
excluded rows by ``school_id``; a key ending in ``_contains`` checks a substring.

A case runs once (``year`` + ``expect``) or several times (``runs: [{year, expect}, …]``).
Tables are given as a list of rows (mappings) or as ``{columns: [...], rows: [[...], ...]}``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
import pytest

from junheng.domain.dataset import Dataset
from junheng.standards.engine import evaluate
from junheng.standards.loader import read_yaml

TOL = 5e-5
_CASE_KEYS = {"name", "description", "standard", "year", "county", "params", "data", "expect",
              "runs"}


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> pytest.Collector | None:
    if file_path.suffix == ".yaml" and file_path.parent.name == "cases":
        return CaseFile.from_parent(parent, path=file_path)
    return None


class CaseFile(pytest.File):
    def collect(self):  # type: ignore[no-untyped-def]
        doc = read_yaml(self.path.read_text(encoding="utf-8"), str(self.path))
        unknown = set(doc) - _CASE_KEYS
        if unknown:
            raise ValueError(f"{self.path}: unknown case keys {sorted(unknown)}")
        runs = doc.get("runs") or [{"year": doc["year"], "expect": doc["expect"]}]
        for run in runs:
            name = f"{self.path.stem}[{run['year']}]" if len(runs) > 1 else self.path.stem
            yield CaseItem.from_parent(self, name=name, doc=doc, run=run)


class CaseMismatch(AssertionError):
    pass


class CaseItem(pytest.Item):
    def __init__(self, *, doc: dict[str, Any], run: dict[str, Any], **kw: Any) -> None:
        super().__init__(**kw)
        self.doc = doc
        self.run = run

    def runtest(self) -> None:
        ds = build_dataset(self.doc["data"])
        params = self.run.get("params", self.doc.get("params"))
        ev = evaluate(ds, self.doc["standard"], int(self.run["year"]), self.doc.get("county"),
                      params)
        actual = ev.to_json()
        expect_subset(self.run["expect"], actual, "expect")

    def repr_failure(self, excinfo: Any, style: Any = None) -> str:
        if isinstance(excinfo.value, CaseMismatch):
            return f"{self.doc.get('name', self.name)}: {excinfo.value}"
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, f"standards case: {self.doc.get('name', self.name)}"


def build_dataset(data: dict[str, Any]) -> Dataset:
    frames: dict[str, pl.DataFrame] = {}
    for table, rows in data.items():
        if isinstance(rows, dict):
            records = [dict(zip(rows["columns"], r, strict=False)) for r in rows["rows"]]
        else:
            records = list(rows)
        cols: list[str] = []
        for r in records:
            for k in r:
                if k not in cols:
                    cols.append(k)
        frames[table] = pl.DataFrame(
            {c: [r.get(c) for r in records] for c in cols}, strict=False
        ) if records else pl.DataFrame()
    return Dataset.from_frames({k: v for k, v in frames.items() if v.width})


def _close(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return abs(float(a) - float(b)) <= TOL
    return a == b


def expect_subset(exp: Any, act: Any, path: str) -> None:
    if isinstance(exp, dict):
        if not isinstance(act, dict):
            raise CaseMismatch(f"{path}: expected a mapping, got {act!r}")
        for k, v in exp.items():
            if isinstance(k, str) and k.endswith("_contains"):
                key = k.removesuffix("_contains")
                got = act.get(key)
                items = got if isinstance(got, list) else [got]
                if not any(isinstance(g, str) and v in g for g in items):
                    raise CaseMismatch(f"{path}.{key}: expected to contain {v!r}, got {got!r}")
                continue
            if k == "counties" and isinstance(v, dict) and isinstance(act.get(k), list):
                by_code = {c["county_code"]: c for c in act[k]}
                for code, sub in v.items():
                    if str(code) not in by_code:
                        raise CaseMismatch(f"{path}.counties: no county {code}")
                    expect_subset(sub, by_code[str(code)], f"{path}.counties[{code}]")
                continue
            if k not in act:
                raise CaseMismatch(f"{path}: missing key {k!r} (have {sorted(act)})")
            expect_subset(v, act[k], f"{path}.{k}")
        return
    if isinstance(exp, list) and exp and isinstance(exp[0], dict) and "school_id" in exp[0]:
        if not isinstance(act, list):
            raise CaseMismatch(f"{path}: expected a list, got {act!r}")
        for e in exp:
            matches = [a for a in act if str(a.get("school_id")) == str(e["school_id"])
                       and ("stage" not in e or a.get("stage") == e["stage"])]
            if not matches:
                raise CaseMismatch(f"{path}: no row for school {e['school_id']} {e.get('stage', '')}")
            expect_subset(e, matches[0], f"{path}[{e['school_id']}/{e.get('stage', '')}]")
        return
    if isinstance(exp, list):
        if not isinstance(act, list) or len(exp) != len(act):
            raise CaseMismatch(f"{path}: expected {exp!r}, got {act!r}")
        for i, (e, a) in enumerate(zip(exp, act, strict=False)):
            expect_subset(e, a, f"{path}[{i}]")
        return
    if not _close(exp, act):
        raise CaseMismatch(f"{path}: expected {exp!r}, got {act!r}")
