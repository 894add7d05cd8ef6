"""Care, health and 肃南 measures (13, 14, 24–26) computed from their tables, and evidence
states, on hand-made data: every status each rule can give."""

from __future__ import annotations

import polars as pl
import pytest

from junheng.domain.dataset import Dataset
from junheng.supervision.figures import partner_activities, ratio, school_share
from junheng.supervision.register import Indicator, load_register
from junheng.supervision.status import (
    DONE,
    IN_PROGRESS,
    LAGGING,
    NOT_REPORTED,
    EvidenceState,
    _indicator_status,
    _Sources,
    measure_statuses,
)

GZ, SN, LZ = "620702", "620721", "620723"
Y = 2024


def _schools() -> pl.DataFrame:
    rows = [("6207020001", GZ, "primary"), ("6207020002", GZ, "junior"),
            ("6207020003", GZ, "primary"), ("6207020004", GZ, "primary"),
            ("6207020005", GZ, "primary"),
            ("6207020009", GZ, "teaching_point"),  # not judged: no clinic of its own
            ("6207210001", SN, "primary"), ("6207210002", SN, "junior"),
            ("6207230001", LZ, "primary")]
    return pl.DataFrame(
        [(sid, f"学校{sid[-2:]}", cc, t, "public", "urban") for sid, cc, t in rows],
        schema=["school_id", "school_name", "county_code", "school_type", "ownership",
                "locale"], orient="row")


def _ds(**tables: pl.DataFrame) -> Dataset:
    counties = pl.DataFrame({"county_code": [GZ, SN, LZ],
                             "county_name": ["甘州区", "肃南县", "临泽县"]})
    return Dataset.from_frames({"counties": counties, "schools": _schools(), **tables})


def _health(rows: list[tuple[str, bool, int]]) -> pl.DataFrame:
    return pl.DataFrame([(Y, sid, clinic, staff) for sid, clinic, staff in rows],
                        schema={"year": pl.Int64, "school_id": pl.Utf8, "has_clinic": pl.Boolean,
                                "health_staff": pl.Int64}, orient="row")


def _rule(rule: str, target: float = 1.0, progress: float | None = None,
          deadline: int | None = None, **params: object) -> Indicator:
    return Indicator("x", "测试指标", "rule", (rule,), deadline, params, target, progress)


def _status(ind: Indicator, ds: Dataset, cc: str, year: int = Y) -> tuple[str, str]:
    from junheng.supervision.figures import RULES

    src = _Sources(figures={ind.id: RULES[ind.ref[0]](ds, Y, ind.params, [GZ, SN, LZ])})
    got = _indicator_status(ind, cc, year, src)
    return got.status, got.reason_zh


def test_school_share_counts_schools_without_a_row_as_not_meeting() -> None:
    # 甘州: 5 schools judged (the teaching point is not); 4 have a clinic, 1 did not report.
    ds = _ds(school_health=_health([("6207020001", True, 1), ("6207020002", True, 0),
                                    ("6207020003", True, 2), ("6207020004", True, 1),
                                    ("6207230001", True, 1)]))
    figs = school_share(ds, Y, {"table": "school_health", "flag": "has_clinic"}, [GZ, SN, LZ])
    assert figs[GZ].value == pytest.approx(4 / 5)
    assert "4/5" in figs[GZ].text_zh and "1 所学校未填报" in figs[GZ].text_zh
    assert figs[LZ].value == 1.0
    assert figs[SN].value is None  # no row at all: not reported
    staff = school_share(ds, Y, {"table": "school_health", "at_least": {"health_staff": 1}},
                         [GZ])
    assert staff[GZ].value == pytest.approx(3 / 5)


@pytest.mark.parametrize(("progress", "deadline", "year", "cc", "want"), [
    (0.8, None, Y, LZ, DONE),           # 1/1
    (0.8, None, Y, GZ, IN_PROGRESS),    # 4/5 = 80 % ≥ progress
    (None, None, Y, GZ, LAGGING),       # no progress share: below target lags
    (None, 2027, Y, GZ, IN_PROGRESS),   # before its deadline
    (None, 2027, 2027, GZ, LAGGING),    # deadline reached
    (0.8, None, Y, SN, NOT_REPORTED),
])
def test_rule_status_against_target_progress_and_deadline(
        progress: float | None, deadline: int | None, year: int, cc: str, want: str) -> None:
    ds = _ds(school_health=_health([("6207020001", True, 1), ("6207020002", True, 0),
                                    ("6207020003", True, 2), ("6207020004", True, 1),
                                    ("6207230001", True, 1)]))
    ind = _rule("school_share", 1.0, progress, deadline, table="school_health",
                flag="has_clinic")
    status, reason = _status(ind, ds, cc, year)
    assert status == want
    assert reason.startswith("测试指标：")


def test_ratio_of_care_needs_met() -> None:
    care = pl.DataFrame({
        "year": [Y, Y, Y], "school_id": ["6207020001", "6207020002", "6207230001"],
        "category": ["left_behind", "orphan", "left_behind"], "children": [10, 2, 3],
        "boarding_needed": [6, 2, 0], "boarding_provided": [5, 2, 0]})
    ds = _ds(care_children=care)
    ind = _rule("ratio", table="care_children", numerator="boarding_provided",
                denominator="boarding_needed")
    status, reason = _status(ind, ds, GZ)
    assert status == LAGGING and "7 / 需寄宿人数 8" in reason
    # Nothing needed: no child went without.
    assert _status(ind, ds, LZ)[0] == DONE
    assert _status(ind, ds, SN)[0] == NOT_REPORTED


def test_screening_coverage_counts_pupils_of_the_schools_that_reported() -> None:
    sections = pl.DataFrame({
        "year": [Y] * 4, "school_id": ["6207020001", "6207020002", "6207020003", "6207230001"],
        "stage": ["primary", "junior", "primary", "primary"], "students": [100, 200, 300, 50]})
    health = pl.DataFrame({"year": [Y, Y, Y], "school_id": ["6207020001", "6207020002",
                                                              "6207230001"],
                           "students_screened": [100, 150, 50]})
    ds = _ds(sections=sections, school_health=health)
    figs = ratio(ds, Y, {"table": "school_health", "numerator": "students_screened",
                         "denominator": {"table": "sections", "column": "students",
                                         "stages": ["primary", "junior", "senior"]}}, [GZ, LZ])
    assert figs[GZ].value == pytest.approx(250 / 300)  # school 0003 did not report: not counted
    assert figs[LZ].value == 1.0


def test_home_delivery_by_county() -> None:
    hd = pl.DataFrame({"year": [Y, Y], "county_code": [GZ, LZ], "children_needing": [4, 0],
                       "children_served": [4, 0]})
    ind = _rule("ratio", table="home_delivery", numerator="children_served",
                denominator="children_needing")
    ds = _ds(home_delivery=hd)
    assert _status(ind, ds, GZ)[0] == DONE and _status(ind, ds, LZ)[0] == DONE
    assert _status(ind, ds, SN)[0] == NOT_REPORTED


def test_partner_activities_per_term_for_counties_and_for_sunan_schools() -> None:
    rows = [
        # 甘州: one exchange each term, two research activities in autumn only.
        (GZ, "autumn", "6207210001", "onsite_exchange"),
        (GZ, "spring", "6207210002", "onsite_exchange"),
        (GZ, "autumn", "6207210001", "joint_research"),
        (GZ, "autumn", "6207210002", "joint_research"),
        # 临泽: one exchange in autumn.
        (LZ, "autumn", "6207210001", "onsite_exchange"),
    ]
    acts = pl.DataFrame([(Y, s, cc, sid, a) for cc, s, sid, a in rows],
                        schema=["year", "semester", "county_code", "school_id", "activity"],
                        orient="row")
    ds = _ds(sunan_activities=acts)
    ex = partner_activities(ds, Y, {"table": "sunan_activities", "partner_county": SN,
                                    "activity": "onsite_exchange", "min": 1}, [GZ, SN, LZ])
    assert ex[GZ].value == 1.0 and ex[LZ].value == 0.5
    # 肃南's two schools × two terms: 0001 in autumn (twice), 0002 in spring.
    assert ex[SN].value == pytest.approx(2 / 4)
    research = partner_activities(ds, Y, {"table": "sunan_activities", "partner_county": SN,
                                          "activity": "joint_research", "min": 2}, [GZ, LZ])
    assert research[GZ].value == 0.5 and research[LZ].value == 0.0
    none = partner_activities(_ds(), Y, {"table": "sunan_activities", "partner_county": SN,
                                         "activity": "joint_research", "min": 2}, [GZ])
    assert none[GZ].value is None


def test_film_screenings_judge_every_term_reported() -> None:
    films = pl.DataFrame({"year": [Y] * 3, "school_id": ["6207230001"] * 2 + ["6207020001"],
                          "semester": ["autumn", "spring", "autumn"],
                          "viewings_per_student": [2, 1, 3]})
    ds = _ds(film_screenings=films)
    figs = school_share(ds, Y, {"table": "film_screenings",
                                "at_least": {"viewings_per_student": 2}}, [GZ, LZ])
    assert figs[LZ].value == 0.5            # spring: once only
    assert figs[GZ].value == pytest.approx(1 / 10)  # 5 schools × 2 terms, one row met


@pytest.mark.parametrize(("state", "deadline", "want"), [
    (None, None, NOT_REPORTED),
    (EvidenceState("pending"), None, IN_PROGRESS),
    (EvidenceState("pending"), 2024, LAGGING),
    (EvidenceState("accepted"), None, DONE),
    (EvidenceState("rejected", "文件与措施无关"), None, NOT_REPORTED),
])
def test_evidence_status_follows_the_review(state: EvidenceState | None, deadline: int | None,
                                            want: str) -> None:
    ind = Indicator("e", "佐证", "evidence", (), deadline)
    src = _Sources(evidence={("e", GZ): state} if state else {})
    got = _indicator_status(ind, GZ, Y, src)
    assert got.status == want and not got.computed
    if state is not None and state.status == "rejected":
        assert "文件与措施无关" in got.reason_zh and "重新上传" in got.reason_zh


def test_measures_read_the_tables_and_the_evidence() -> None:
    ds = _ds(school_health=_health([("6207230001", True, 1)]))
    ev = {("m28_evidence", LZ): EvidenceState("accepted")}
    r = measure_statuses(ds, Y, evidence=ev)
    by_no = {m.measure.no: m for m in r.measures}
    m24 = by_no[24].counties[LZ]
    assert {i.id: i.status for i in m24.indicators} == {"m24_clinic": DONE,
                                                        "m24_health_staff": DONE}
    assert m24.status == DONE and m24.computed
    assert by_no[28].counties[LZ].status == DONE
    assert by_no[28].counties[GZ].status == NOT_REPORTED
    js = m24.to_json()["indicators"][0]
    assert js["value"] == 1.0 and js["target"] == 1.0


def test_register_refuses_a_rule_with_an_unknown_column(monkeypatch: pytest.MonkeyPatch,
                                                        tmp_path: object) -> None:
    from junheng.supervision.register import RegisterError, _indicator

    with pytest.raises(RegisterError, match="no column"):
        _indicator({"id": "a", "label": "a", "target": 1.0,
                    "from": {"rule": "school_share", "table": "school_health",
                             "flag": "has_clinc"}}, "m")
    with pytest.raises(RegisterError, match="target"):
        _indicator({"id": "a", "label": "a",
                    "from": {"rule": "school_share", "table": "school_health",
                             "flag": "has_clinic"}}, "m")
    with pytest.raises(RegisterError, match="unknown rule"):
        _indicator({"id": "a", "label": "a", "target": 1.0, "from": {"rule": "vibes"}}, "m")
    assert load_register().measures[23].indicators[0].kind == "rule"


def test_cli_reads_the_reviewed_evidence_of_a_database(tmp_path: object) -> None:
    import datetime as dt
    import json
    from pathlib import Path

    from sqlalchemy import insert

    from junheng.cli import main
    from junheng.io import evidence as store
    from junheng.io.db import import_dataset, make_engine, migrate

    out = Path(str(tmp_path))
    url = f"sqlite:///{out / 'db.sqlite'}"
    engine = make_engine(url)
    migrate(engine)
    import_dataset(engine, Dataset.from_frames({"counties": pl.DataFrame(
        {"county_code": [GZ, LZ], "county_name": ["甘州区", "临泽县"]})}))
    row = {"year": Y, "measure_no": 28, "indicator_id": "m28_evidence", "note": "n",
           "filename": "a.pdf", "content_type": "application/pdf", "size": 5, "sha256": "0",
           "content": b"%PDF-", "submitted_by": "x", "submitted_at": dt.datetime.now(dt.UTC)}
    with engine.begin() as conn:
        conn.execute(insert(store.evidence).values(county_code=GZ, status="accepted", **row))
        conn.execute(insert(store.evidence).values(county_code=LZ, status="rejected",
                                                   review_reason="不清楚", **row))
    engine.dispose()
    assert main(["measures", url, "--year", str(Y), "--out", str(out / "m.json")]) == 0
    doc = json.loads((out / "m.json").read_text("utf-8"))
    m28 = doc["measures"][27]["counties"]
    assert m28[GZ]["status"] == DONE and m28[GZ]["indicators"][0]["evidence"] == "accepted"
    assert m28[LZ]["status"] == NOT_REPORTED and "不清楚" in m28[LZ]["reason_zh"]
