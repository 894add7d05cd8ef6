"""The demo shows at least one finding of each kind of the finance checks and the aid match."""

from __future__ import annotations

import pytest

from junheng.aid.eligibility import evaluate_aid
from junheng.demo.generate import generate
from junheng.domain.dataset import Dataset
from junheng.finance.checks import evaluate_finance


@pytest.fixture(scope="module")
def ds() -> Dataset:
    return generate(seed=0)


def _failed(ds: Dataset, year: int) -> set[tuple[str, str]]:
    res = evaluate_finance(ds, year)
    return {(a.code, c.id) for a in res.counties for c in a.checks if c.status == "failed"}


def test_every_finance_check_fails_somewhere(ds: Dataset) -> None:
    assert _failed(ds, 2022) >= {("620721", "budget_not_decreasing"),
                                 ("620721", "per_student_not_decreasing"),
                                 ("620722", "teacher_pay_parity")}
    assert _failed(ds, 2024) == {("620722", "teacher_pay_parity"),
                                 ("620725", "public_funds_norm"),
                                 ("620702", "funds_follow_students")}


def test_every_finance_check_is_judged_in_the_last_year(ds: Dataset) -> None:
    res = evaluate_finance(ds, 2024)
    assert {c.status for a in res.counties for c in a.checks} == {"passed", "failed"}
    assert res.city is not None and res.city.code == "620700"


def test_aid_match_shows_every_finding(ds: Dataset) -> None:
    r = evaluate_aid(ds, 2024)
    assert set(r.match.matches["method"]) == {"resident_id", "name_birth_date"}
    assert r.match.matches["needs_review"].sum() == 1
    assert set(r.match.problems["kind"]) == {"bad_checksum", "name_differs", "not_on_roll"}
    assert set(r.not_aided["programs"].explode()) == {
        "living_allowance", "nutrition_meal", "free_education_disabled", "preschool_fee_relief"}
    # Missed pupils qualify through a department list or through the roll's hardship level.
    assert {"dibao", "family_hardship"} <= set(r.not_aided["category"])
    assert r.counties.height == 6 and (r.counties["not_aided_students"] > 0).all()
