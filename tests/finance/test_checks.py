"""Every finance rule on hand-made data, with exact 1-元 boundaries both ways."""

from __future__ import annotations

from typing import Any

import polars as pl
import pytest

from junheng.domain.dataset import Dataset
from junheng.finance.checks import evaluate_finance, public_funds_required
from junheng.finance.norms import FinanceRuleError, finance_rules, load_rules_text

A, B = "620702", "620721"
CITY = "620700"


def _finance(rows: list[dict[str, Any]]) -> pl.DataFrame:
    return pl.DataFrame(rows)


def _ds(finance: list[dict[str, Any]], **tables: pl.DataFrame) -> Dataset:
    counties = pl.DataFrame({"county_code": [A, B], "county_name": ["甲区", "乙县"],
                             "prefecture_name": ["张掖市", "张掖市"]})
    return Dataset.from_frames({"counties": counties, "finance": _finance(finance), **tables})


def _row(code: str, year: int, **kw: Any) -> dict[str, Any]:
    base = {"year": year, "county_code": code, "edu_budget_yuan": None, "students": None,
            "teacher_avg_pay_yuan": None, "civil_servant_avg_pay_yuan": None,
            "public_funds_yuan": None}
    return {**base, **kw}


def _check(ds: Dataset, code: str, cid: str, year: int = 2024) -> Any:
    res = evaluate_finance(ds, year)
    return next(a for a in res.counties if a.code == code).check(cid)


@pytest.mark.parametrize("current, status", [
    (1_000_000.0, "passed"), (999_999.0, "failed"), (1_000_001.0, "passed")])
def test_budget_not_decreasing_at_one_yuan(current: float, status: str) -> None:
    ds = _ds([_row(A, 2023, edu_budget_yuan=1_000_000.0),
              _row(A, 2024, edu_budget_yuan=current)])
    c = _check(ds, A, "budget_not_decreasing")
    assert (c.status, c.value, c.previous) == (status, current, 1_000_000.0)
    assert c.source == "市委办发〔2024〕2号" and c.clause == "第18条"
    assert ("未达到" in c.text_zh) == (status == "failed")
    assert c.to_json()["passed"] is (status == "passed")


@pytest.mark.parametrize("current_budget, status", [
    (1_000_000.0, "passed"),  # 10,000 per student both years
    (999_900.0, "failed"),    # 9,999: a drop of 1 元 per student
    (1_000_100.0, "passed")])
def test_per_student_not_decreasing_at_one_yuan(current_budget: float, status: str) -> None:
    ds = _ds([_row(A, 2023, edu_budget_yuan=1_000_000.0, students=100),
              _row(A, 2024, edu_budget_yuan=current_budget, students=100)])
    c = _check(ds, A, "per_student_not_decreasing")
    assert c.status == status
    assert c.previous == 10_000.0 and c.value == current_budget / 100


def test_per_student_falls_while_the_budget_rises() -> None:
    ds = _ds([_row(A, 2023, edu_budget_yuan=1_000_000.0, students=100),
              _row(A, 2024, edu_budget_yuan=1_050_000.0, students=106)])
    assert _check(ds, A, "budget_not_decreasing").status == "passed"
    c = _check(ds, A, "per_student_not_decreasing")
    assert c.status == "failed" and c.value == pytest.approx(9905.66)


@pytest.mark.parametrize("teacher, status", [
    (100_000.0, "passed"), (99_999.0, "failed"), (100_001.0, "passed")])
def test_teacher_pay_parity_at_one_yuan(teacher: float, status: str) -> None:
    ds = _ds([_row(A, 2024, teacher_avg_pay_yuan=teacher, civil_servant_avg_pay_yuan=100_000.0)])
    c = _check(ds, A, "teacher_pay_parity")
    assert (c.status, c.value, c.limit) == (status, teacher, 100_000.0)
    assert c.to_json()["limit"] == 100_000.0 and "previous" not in c.to_json()
    if status == "failed":
        assert "差1元" in c.text_zh


def test_pay_falls_back_to_county_facts() -> None:
    facts = pl.DataFrame({"year": [2024], "county_code": [A],
                          "teacher_avg_pay_yuan": [80_000.0],
                          "civil_servant_avg_pay_yuan": [80_001.0]})
    ds = _ds([_row(A, 2024)], county_facts=facts)
    c = _check(ds, A, "teacher_pay_parity")
    assert c.status == "failed" and c.figures["pay_source"] == "county_facts"


def test_missing_figures_are_not_reported_with_a_reason() -> None:
    ds = _ds([_row(A, 2024, edu_budget_yuan=5.0)])
    res = evaluate_finance(ds, 2024)
    a = next(x for x in res.counties if x.code == A)
    assert a.check("budget_not_decreasing").status == "not_reported"
    assert "2023年" in a.check("budget_not_decreasing").text_zh
    assert a.check("budget_not_decreasing").to_json()["passed"] is None
    assert "未报送" in a.check("teacher_pay_parity").text_zh
    assert "sections" in a.check("public_funds_norm").text_zh
    assert "transfers" in a.check("funds_follow_students").text_zh
    assert all("not reported" in c.text_zh for c in a.checks)


def test_rules_are_dated() -> None:
    ds = _ds([_row(A, 2010, edu_budget_yuan=2.0), _row(A, 2011, edu_budget_yuan=1.0)])
    assert _check(ds, A, "budget_not_decreasing", 2011).status == "no_rule"
    ds = _ds([_row(A, 2020, edu_budget_yuan=2.0), _row(A, 2021, edu_budget_yuan=1.0)])
    assert _check(ds, A, "budget_not_decreasing", 2021).source == "国办发〔2018〕82号"


# --- public funds norm ----------------------------------------------------------------------

def _schools() -> pl.DataFrame:
    return pl.DataFrame({
        "school_id": ["6207020001", "6207020002", "6207020003", "6207020004", "6207020005",
                      "6207020006"],
        "school_name": ["城区小学", "寄宿初中", "村小", "特校", "民办小学", "城区小校"],
        "county_code": [A] * 6,
        "school_type": ["primary", "junior", "teaching_point", "special", "primary", "primary"],
        "ownership": ["public", "public", "public", "public", "private", "public"],
        "locale": ["urban", "town", "rural", "urban", "urban", "urban"],
        "is_boarding": [False, True, False, False, False, False]})


def _sections() -> pl.DataFrame:
    return pl.DataFrame({
        "year": [2024] * 6,
        "school_id": ["6207020001", "6207020002", "6207020003", "6207020004", "6207020005",
                      "6207020006"],
        "stage": ["primary", "junior", "primary", "primary", "primary", "primary"],
        "students": [1000, 500, 30, 40, 800, 50]})


# 1000×600 + 500×(800+200) + 100×600 (village, funded as 100) + 40×6000 + 50×600 (urban:
# no floor); the private school is not funded from public money.
REQUIRED = 600_000 + 500_000 + 60_000 + 240_000 + 30_000


@pytest.mark.parametrize("allocated, status", [
    (REQUIRED, "passed"), (REQUIRED - 1, "failed"), (REQUIRED + 1, "passed")])
def test_public_funds_norm_at_one_yuan(allocated: float, status: str) -> None:
    ds = _ds([_row(A, 2024, public_funds_yuan=float(allocated))],
             schools=_schools(), sections=_sections())
    c = _check(ds, A, "public_funds_norm")
    assert (c.status, c.value, c.limit) == (status, allocated, REQUIRED)
    assert c.figures["small_schools"] == 1 and c.figures["special_students"] == 40
    assert c.figures["boarding_students"] == 500 and c.figures["funded_students"] == 1690
    assert "6000元" in c.text_zh


def test_disabled_students_in_regular_classes_add_up_to_the_special_rate() -> None:
    students = pl.DataFrame({"year": [2024, 2024], "student_id": ["s1", "s2"],
                             "school_id": ["6207020001", "6207020002"], "grade": [3, 8],
                             "is_disabled": [True, True],
                             "disability_placement": ["regular_class", "home_delivery"]})
    ds = _ds([_row(A, 2024, public_funds_yuan=0.0)], schools=_schools(), sections=_sections(),
             students=students)
    rules = finance_rules()
    import datetime as dt
    req = public_funds_required(ds, 2024, rules.at("public_funds_rates", dt.date(2024, 12, 31))
                                .value, rules.at("small_school_floor", dt.date(2024, 12, 31)).value)
    row = req.filter(pl.col("county_code") == A).row(0, named=True)
    assert row["required_yuan"] == REQUIRED + (6000 - 600)
    assert row["disabled_regular_class"] == 1


def test_small_school_floor_stops_at_one_hundred_students() -> None:
    sections = _sections().with_columns(
        pl.when(pl.col("school_id") == "6207020003").then(100).otherwise(pl.col("students"))
        .alias("students"))
    ds = _ds([_row(A, 2024, public_funds_yuan=float(REQUIRED))], schools=_schools(),
             sections=sections)
    c = _check(ds, A, "public_funds_norm")
    assert c.limit == REQUIRED and c.figures["small_schools"] == 0


# --- funds follow students ------------------------------------------------------------------

def _two_county_schools() -> pl.DataFrame:
    return pl.DataFrame({
        "school_id": ["6207020001", "6207020002", "6207210001"],
        "school_name": ["甲小学", "甲寄宿小学", "乙初中"],
        "county_code": [A, A, B],
        "school_type": ["primary", "primary", "junior"],
        "ownership": ["public"] * 3, "locale": ["urban", "rural", "town"],
        "is_boarding": [False, True, False]})


def _transfers(moved: list[float | None]) -> pl.DataFrame:
    return pl.DataFrame({
        "year": [2024, 2024, 2024], "student_id": ["s1", "s2", "s3"],
        "from_school_id": ["6207020001", "6207020001", "6207210001"],
        "to_school_id": ["6207210001", "6207020002", "6207020001"],
        "funds_moved_yuan": moved}, schema_overrides={"funds_moved_yuan": pl.Float64})


def _awards() -> pl.DataFrame:
    return pl.DataFrame({"year": [2024, 2024], "student_id": ["s1", "s1"],
                         "program": ["living_allowance", "nutrition_meal"],
                         "amount_yuan": [1250.0, 800.0]})


# s1: 甲 → 乙 junior school: 800 公用经费 + 1250 两免一补 (the meal does not move) = 2050.
# s2: within 甲 to a boarding primary: 600 + 200 = 800. s3: 乙 → 甲 primary: 600.
@pytest.mark.parametrize("s1_moved, status", [(2050.0, "passed"), (2049.0, "failed")])
def test_funds_follow_students_at_one_yuan(s1_moved: float, status: str) -> None:
    ds = _ds([_row(A, 2024), _row(B, 2024)], schools=_two_county_schools(),
             transfers=_transfers([s1_moved, 800.0, 600.0]), aid_awards=_awards())
    res = evaluate_finance(ds, 2024)
    a = next(x for x in res.counties if x.code == A).check("funds_follow_students")
    assert a.status == status and a.limit == 2850.0 and a.value == s1_moved + 800.0
    assert a.figures["transfers"] == 2 and a.figures["to_other_counties"] == 1
    b = next(x for x in res.counties if x.code == B).check("funds_follow_students")
    assert b.status == "passed" and b.limit == 600.0
    flow = res.flows.filter(pl.col("to_school_id") == "6207210001").row(0, named=True)
    assert flow["required_yuan"] == 2050.0 and flow["from_county"] == A
    assert flow["short_transfers"] == (0 if status == "passed" else 1)
    assert res.city is not None
    assert res.city.check("funds_follow_students").status == status


def test_funds_not_moved_at_all_are_not_reported_not_passed() -> None:
    ds = _ds([_row(A, 2024), _row(B, 2024)], schools=_two_county_schools(),
             transfers=_transfers([None, None, None]))
    c = _check(ds, A, "funds_follow_students")
    assert c.status == "not_reported" and c.limit == 800.0 + 800.0


def test_grade_on_the_roll_decides_the_stage() -> None:
    students = pl.DataFrame({"year": [2024], "student_id": ["s1"], "school_id": ["6207020001"],
                             "grade": [6]})
    ds = _ds([_row(A, 2024), _row(B, 2024)], schools=_two_county_schools(),
             transfers=_transfers([0.0, 800.0, 600.0]), students=students)
    res = evaluate_finance(ds, 2024)
    flow = res.flows.filter(pl.col("to_school_id") == "6207210001").row(0, named=True)
    assert flow["required_yuan"] == 600.0  # a grade-6 pupil is funded at the primary rate


# --- the city as a whole --------------------------------------------------------------------

def test_city_uses_its_own_row_when_reported() -> None:
    ds = _ds([_row(A, 2023, edu_budget_yuan=10.0), _row(A, 2024, edu_budget_yuan=11.0),
              _row(B, 2023, edu_budget_yuan=10.0), _row(B, 2024, edu_budget_yuan=11.0),
              _row(CITY, 2023, edu_budget_yuan=30.0), _row(CITY, 2024, edu_budget_yuan=29.0)])
    res = evaluate_finance(ds, 2024)
    assert [a.code for a in res.counties] == [A, B]
    assert res.city is not None and res.city.code == CITY and res.city.name == "张掖市"
    assert res.city.check("budget_not_decreasing").status == "failed"
    doc = res.to_json()
    assert doc["city"]["code"] == CITY and len(doc["counties"]) == 2


def test_city_sums_the_counties_otherwise() -> None:
    ds = _ds([_row(A, 2023, edu_budget_yuan=10.0), _row(A, 2024, edu_budget_yuan=12.0),
              _row(B, 2023, edu_budget_yuan=10.0), _row(B, 2024, edu_budget_yuan=9.0)])
    res = evaluate_finance(ds, 2024)
    assert res.city is not None
    c = res.city.check("budget_not_decreasing")
    assert (c.status, c.value, c.previous) == ("passed", 21.0, 20.0)


def test_one_county_has_no_city() -> None:
    ds = _ds([_row(A, 2024)])
    res = evaluate_finance(ds, 2024, county=A)
    assert res.city is None and [a.code for a in res.counties] == [A]
    with pytest.raises(KeyError):
        evaluate_finance(ds, 2024, county="999999")


# --- the rule file --------------------------------------------------------------------------

def test_rule_loader_is_strict() -> None:
    import importlib.resources as r

    text = (r.files("junheng.finance") / "data" / "finance-guarantees.yaml").read_text("utf-8")
    assert load_rules_text(text).id == "finance-guarantees"
    with pytest.raises(FinanceRuleError, match="unknown key"):
        load_rules_text(text.replace("  teacher_pay_parity:\n    label:",
                                     "  teacher_pay_parity:\n    lable: x\n    label:"))
    with pytest.raises(FinanceRuleError, match="source"):
        load_rules_text(text.replace("        source: 市委办发〔2024〕2号\n        clause: 第20条\n",
                                     "        clause: 第20条\n"))
    with pytest.raises(FinanceRuleError, match="duplicate"):
        load_rules_text(text.replace("          primary: 600\n",
                                     "          primary: 600\n          primary: 700\n"))
