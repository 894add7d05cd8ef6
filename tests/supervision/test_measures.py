"""The 30-measure register and each measure's status (issue #12, first part)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from junheng.cli import main
from junheng.demo.generate import generate
from junheng.io.writers import write_dataset
from junheng.standards.loader import load_standard
from junheng.supervision.register import Indicator, RegisterError, load_register
from junheng.supervision.status import (
    DONE,
    IN_PROGRESS,
    LAGGING,
    NOT_REPORTED,
    _indicator_status,
    _Sources,
    measure_statuses,
    worst,
)


def test_register_holds_the_thirty_measures_each_with_a_source() -> None:
    reg = load_register()
    assert [m.no for m in reg.measures] == list(range(1, 31))
    assert reg.source == "市委办发〔2024〕2号"
    finance_checks = {"budget_not_decreasing", "per_student_not_decreasing",
                      "teacher_pay_parity", "public_funds_norm", "funds_follow_students"}
    for m in reg.measures:
        assert m.title and m.responsible and m.indicators
        for ind in m.indicators:
            if ind.kind == "standard":
                std, item = ind.ref
                assert item in {i.id for i in load_standard(std).items}, ind.id
            elif ind.kind == "finance":
                assert ind.ref[0] in finance_checks, ind.id
            elif ind.kind == "aid":
                assert ind.ref == ("not_aided",)


def test_register_loader_is_strict(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from junheng.supervision import register as mod

    def load(text: str) -> Any:
        monkeypatch.setattr(mod.resources, "files", lambda _pkg: tmp_path)
        (tmp_path / "data").mkdir(exist_ok=True)
        (tmp_path / "data" / "x.yaml").write_text(text, "utf-8")
        mod.load_register.cache_clear()
        try:
            return mod.load_register("x.yaml")
        finally:
            mod.load_register.cache_clear()

    head = "id: x\nlabel: x\nsource: x\nmeasures:\n"
    ind = "    indicators: [{id: a, label: a, from: {evidence: true}}]\n"
    with pytest.raises(RegisterError, match="unknown keys"):
        load(head + "  - {number: 1, title: t, responsible: [x], colour: red}\n")
    with pytest.raises(RegisterError, match="duplicate number"):
        load(head + "  - number: 1\n    title: t\n    responsible: [x]\n" + ind
             + "  - number: 1\n    title: t\n    responsible: [x]\n"
             + "    indicators: [{id: b, label: b, from: {evidence: true}}]\n")
    with pytest.raises(RegisterError, match="must name one of"):
        load(head + "  - number: 1\n    title: t\n    responsible: [x]\n"
             "    indicators: [{id: a, label: a, from: {rumour: true}}]\n")


@dataclass
class _Dates:
    deadline: int | None
    due: bool
    target_year: int | None = None


@dataclass
class _Item:
    status: str
    dates: _Dates | None = None


@dataclass
class _Check:
    status: str
    text_zh: str = "说明"


def _std(deadline: int | None = None) -> Indicator:
    return Indicator("x", "学校规模", "standard", ("s", "i"), deadline)


@pytest.mark.parametrize(("item", "year", "want"), [
    (_Item("passed"), 2024, DONE),
    (_Item("not_reported"), 2024, NOT_REPORTED),
    (None, 2024, NOT_REPORTED),
    # A target before its deadline is in progress; once due, lagging.
    (_Item("failed", _Dates(2035, due=False)), 2024, IN_PROGRESS),
    (_Item("failed", _Dates(2035, due=True)), 2035, LAGGING),
    # A county's own target year comes first (quality balance by 2028).
    (_Item("failed", _Dates(2035, due=True, target_year=2028)), 2029, LAGGING),
    # A rule in force (no dates) fails now.
    (_Item("failed"), 2024, LAGGING),
])
def test_standard_indicator_status(item: _Item | None, year: int, want: str) -> None:
    src = _Sources(items={"s": {"620702": {"i": item} if item else {}}})
    got = _indicator_status(_std(), "620702", year, src)
    assert got.status == want and got.computed


def test_indicator_deadline_without_item_dates() -> None:
    src = _Sources(items={"s": {"620702": {"i": _Item("failed")}}})
    assert _indicator_status(_std(2027), "620702", 2026, src).status == IN_PROGRESS
    assert _indicator_status(_std(2027), "620702", 2027, src).status == LAGGING


@pytest.mark.parametrize(("check", "want"), [
    (_Check("passed"), DONE), (_Check("failed", "比上年减少 1 元"), LAGGING),
    (_Check("not_reported"), NOT_REPORTED), (None, NOT_REPORTED)])
def test_finance_indicator_status(check: _Check | None, want: str) -> None:
    ind = Indicator("f", "只增不减", "finance", ("budget_not_decreasing",), None)
    src = _Sources(finance={"620702": {"budget_not_decreasing": check} if check else {}})
    got = _indicator_status(ind, "620702", 2024, src)
    assert got.status == want
    if want == LAGGING:
        assert got.reason_zh == "比上年减少 1 元"  # the finance check's own sentence
    assert _indicator_status(ind, "620702", 2024, _Sources()).status == NOT_REPORTED


def test_aid_and_evidence_indicator_status() -> None:
    aid = Indicator("a", "应助尽助", "aid", ("not_aided",), None)
    assert _indicator_status(aid, "620702", 2024, _Sources(aid_gap={})).status == DONE
    lag = _indicator_status(aid, "620702", 2024, _Sources(aid_gap={"620702": 3}))
    assert lag.status == LAGGING and "3 名" in lag.reason_zh
    assert _indicator_status(aid, "620702", 2024, _Sources()).status == NOT_REPORTED
    ev = _indicator_status(Indicator("e", "佐证", "evidence", (), None), "620702", 2024,
                           _Sources())
    assert ev.status == NOT_REPORTED and not ev.computed and "佐证" in ev.reason_zh


def test_worst_status_wins() -> None:
    assert worst([DONE, IN_PROGRESS, NOT_REPORTED]) == IN_PROGRESS
    assert worst([DONE, LAGGING, IN_PROGRESS]) == LAGGING
    assert worst([DONE, NOT_REPORTED]) == NOT_REPORTED
    assert worst([DONE, DONE]) == DONE
    assert worst([]) == NOT_REPORTED


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo") / "data"
    write_dataset(generate(seed=0), out)
    return out


def test_demo_shows_every_status_and_the_city_takes_the_worst(demo_dir: Path, tmp_path: Path
                                                               ) -> None:
    out = tmp_path / "m.json"
    assert main(["measures", str(demo_dir), "--year", "2024", "--out", str(out)]) == 0
    doc = json.loads(out.read_text("utf-8"))
    assert [m["no"] for m in doc["measures"]] == list(range(1, 31))
    seen = {c["status"] for m in doc["measures"] for c in m["counties"].values()}
    assert seen == {DONE, IN_PROGRESS, LAGGING, NOT_REPORTED}
    order = [LAGGING, IN_PROGRESS, NOT_REPORTED, DONE]
    for m in doc["measures"]:
        assert set(m) >= {"no", "title_zh", "responsible", "indicators", "counties"}
        for c in m["counties"].values():
            assert set(c) >= {"status", "computed", "reason_zh"}
        worst_county = min((c["status"] for c in m["counties"].values()), key=order.index)
        assert m["city"]["status"] == worst_county
    # Computed statuses say so; evidence-only measures do not.
    m5 = doc["measures"][4]["counties"]["620702"]
    assert m5["status"] == NOT_REPORTED and m5["computed"] is False
    m3 = doc["measures"][2]["counties"]
    assert m3["620723"]["status"] == DONE and m3["620723"]["computed"] is True


def test_excel_grid_matches_the_json(demo_dir: Path, tmp_path: Path) -> None:
    xlsx, js = tmp_path / "m.xlsx", tmp_path / "m.json"
    assert main(["measures", str(demo_dir), "--year", "2024", "--format", "xlsx",
                 "--out", str(xlsx)]) == 0
    assert main(["measures", str(demo_dir), "--year", "2024", "--out", str(js)]) == 0
    doc = json.loads(js.read_text("utf-8"))
    sheet = openpyxl.load_workbook(xlsx, read_only=True)["措施落实情况"]
    rows = list(sheet.iter_rows(min_row=4, max_row=33, values_only=True))
    zh = {"done": "已完成", "in_progress": "推进中", "lagging": "滞后", "not_reported": "未报送"}
    codes = list(doc["county_names"])
    for row, m in zip(rows, doc["measures"], strict=True):
        assert row[0] == m["no"]
        assert list(row[3:3 + len(codes)]) == [zh[m["counties"][c]["status"]] for c in codes]
        assert row[3 + len(codes)] == zh[m["city"]["status"]]


def test_counties_alone_list_the_register_as_not_reported(tmp_path: Path) -> None:
    import polars as pl

    from junheng.domain.dataset import Dataset

    ds = Dataset.from_frames({"counties": pl.DataFrame({"county_code": ["620702"],
                                                        "county_name": ["甘州区"]})})
    r = measure_statuses(ds, 2024)
    assert {m.counties["620702"].status for m in r.measures} == {NOT_REPORTED}
    assert any("学校和学段数据" in n for n in r.notes)


def test_demo_care_and_health_tell_their_stories(demo_dir: Path, tmp_path: Path) -> None:
    """The demo's care, health and 肃南 tables (demo/supervision.py) give each status."""
    out = tmp_path / "m.json"
    assert main(["measures", str(demo_dir), "--year", "2024", "--out", str(out)]) == 0
    doc = json.loads(out.read_text("utf-8"))
    by_no = {m["no"]: {cc: c["status"] for cc, c in m["counties"].items()}
             for m in doc["measures"]}
    assert by_no[24] == {"620702": IN_PROGRESS, "620721": NOT_REPORTED, "620722": DONE,
                         "620723": DONE, "620724": DONE, "620725": LAGGING}
    assert by_no[13]["620702"] == LAGGING and by_no[13]["620723"] == DONE
    assert by_no[14]["620722"] == LAGGING and by_no[14]["620723"] == DONE
    assert by_no[1]["620724"] == LAGGING  # 高台: gross preschool enrolment 80 %
    m1 = {i["id"]: i["status"] for i in doc["measures"][0]["counties"]["620702"]["indicators"]}
    assert m1["m01_preschool_enrollment"] == DONE
