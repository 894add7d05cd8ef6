"""Every aid rule: who qualifies for what, and the gap (应助尽助)."""

from __future__ import annotations

import importlib.resources as res

import pytest

from aid.helpers import RURAL, URBAN, dataset, listed, rid, student
from junheng.aid.eligibility import evaluate_aid
from junheng.aid.rules import AidRuleError, load_rules_text

ID1 = rid("62070220150308001")


def _qualifies(st: dict[str, object], lists: list[dict[str, object]] | None = None,
               year: int = 2024) -> set[str]:
    r = evaluate_aid(dataset([st], lists or []), year)
    return set(r.qualified["program"].to_list())


@pytest.mark.parametrize("category", ["dibao", "tekun", "orphan", "unsupported", "monitored"])
def test_listed_categories_qualify_for_the_living_allowance(category: str) -> None:
    got = _qualifies(student("s1", resident_id=ID1), [listed(category, resident_id=ID1)])
    assert got == {"living_allowance"}


@pytest.mark.parametrize("level, expected", [(0, set()), (1, {"living_allowance"}),
                                             (3, {"living_allowance"})])
def test_hardship_level_on_the_roll(level: int, expected: set[str]) -> None:
    assert _qualifies(student("s1", family_hardship_level=level)) == expected


def test_other_category_alone_does_not_qualify() -> None:
    assert _qualifies(student("s1", resident_id=ID1), [listed("other", resident_id=ID1)]) == set()


@pytest.mark.parametrize("grade, school, expected", [
    (3, RURAL, {"nutrition_meal"}), (8, RURAL, {"nutrition_meal"}), (3, URBAN, set()),
    (11, RURAL, set())])
def test_nutrition_meals_for_every_rural_compulsory_pupil(grade: int, school: str,
                                                          expected: set[str]) -> None:
    assert _qualifies(student("s1", grade=grade, school_id=school)) == expected


@pytest.mark.parametrize("grade, disabled, level, expected", [
    (11, True, 1, {"free_education_disabled"}),
    (11, True, 0, set()),                       # disabled but not from a poor family
    (11, False, 2, set()),                      # poor but not disabled (senior: no allowance)
    (5, True, 1, {"free_education_disabled", "living_allowance"}),
])
def test_twelve_years_free_for_disabled_students_from_poor_families(
        grade: int, disabled: bool, level: int, expected: set[str]) -> None:
    st = student("s1", grade=grade, is_disabled=disabled, family_hardship_level=level)
    assert _qualifies(st) == expected


def test_disability_from_the_disabled_federation_list_counts() -> None:
    st = student("s1", grade=11, resident_id=ID1)
    lists = [listed("disabled", resident_id=ID1, source="disabled_federation"),
             listed("dibao", resident_id=ID1)]
    assert _qualifies(st, lists) == {"free_education_disabled"}


@pytest.mark.parametrize("category", ["dibao", "disabled"])
def test_preschool_fee_relief(category: str) -> None:
    st = student("s1", grade=0, resident_id=ID1)
    assert _qualifies(st, [listed(category, resident_id=ID1)]) == {"preschool_fee_relief"}
    assert _qualifies(st, [listed(category, resident_id=ID1)], year=2023) == set()


def test_not_aided_is_the_gap_by_school_and_county() -> None:
    students = [student("s1", family_hardship_level=1, school_id=RURAL),
                student("s2", family_hardship_level=1, school_id=RURAL),
                student("s3", school_id=URBAN)]
    awards = [{"year": 2024, "student_id": "s1", "program": "living_allowance",
               "amount_yuan": 1000.0},
              {"year": 2024, "student_id": "s1", "program": "nutrition_meal",
               "amount_yuan": 800.0},
              {"year": 2024, "student_id": "s2", "program": "nutrition_meal",
               "amount_yuan": 0.0}]
    r = evaluate_aid(dataset(students, [], awards), 2024)
    assert r.not_aided.select("student_id", "category", "programs").rows() == [
        ("s2", "family_hardship", ["living_allowance", "nutrition_meal"])]
    school = r.schools.filter(r.schools["school_id"] == RURAL).row(0, named=True)
    assert (school["qualified_students"], school["not_aided_students"],
            school["qualified_awards"], school["aided_awards"]) == (2, 1, 4, 2)
    county = r.counties.row(0, named=True)
    assert county["county_code"] == "620702" and county["gap_awards"] == 2
    doc = r.to_json()
    assert set(doc) >= {"matches", "problems", "not_aided"}
    assert doc["not_aided"][0].keys() >= {"student_id", "category", "programs"}


def test_rule_loader_is_strict() -> None:
    text = (res.files("junheng.aid") / "data" / "student-aid.yaml").read_text("utf-8")
    assert load_rules_text(text).id == "student-aid"
    with pytest.raises(AidRuleError, match="programs"):
        load_rules_text(text.replace("  nutrition_meal:", "  free_lunch:"))
    with pytest.raises(AidRuleError, match="category"):
        load_rules_text(text.replace("[dibao, tekun, orphan, unsupported, monitored]\n",
                                     "[dibao, poor]\n", 1))
    with pytest.raises(AidRuleError, match="source"):
        load_rules_text(text.replace("        source: 市委办发〔2024〕2号\n", "", 1))
    with pytest.raises(AidRuleError, match="unknown key"):
        load_rules_text(text.replace("          locales: [rural]", "          locale: [rural]"))
