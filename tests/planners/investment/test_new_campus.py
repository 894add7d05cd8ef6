"""g04 school size: new campuses (新建校区/分校) take the students above the cap.

Costs are recomputed here by hand from the cost file and the standard's thresholds; the standards
engine's re-evaluation of the changed data is the independent check.
"""

from __future__ import annotations

import math

import polars as pl
import pytest
from planners.investment.tiny import COUNTY, school_id, tiny_county

from junheng.domain.dataset import Dataset
from junheng.planners.investment import plan_county
from junheng.planners.investment.costs import CostsError, load_costs
from junheng.planners.investment.results import InvestmentPlan
from junheng.planners.investment.rules import load_rules

RULES = load_rules(2024)
COSTS = load_costs()
UNIT = COSTS.unit
NC = COSTS.new_campus
CAP = RULES.school_size_max["primary"]


def _hand_cost(seats: int, stage: str = "primary") -> float:
    """One campus built to every 2017 threshold for ``seats`` students of ``stage``."""
    t = {k: v[stage] for k, v in RULES.thresholds.items()}
    deg = math.ceil(t["degree_teachers_per_100"] * seats / 100 - 1e-9)
    bb = math.ceil(t["backbone_teachers_per_100"] * seats / 100 - 1e-9)
    pe = math.ceil(t["pe_art_teachers_per_100"] * seats / 100 - 1e-9)
    rooms = math.ceil(t["multimedia_rooms_per_100"] * seats / 100 - 1e-9)
    equipment = math.ceil(t["equipment_value_per_student"] * seats - 1e-6)
    return (seats * NC["seat_yuan"][stage] + NC["fixed_yuan"]
            + deg * UNIT["hire_degree_teacher_yuan"] + bb * UNIT["hire_backbone_teacher_yuan"]
            + pe * UNIT["hire_pe_art_teacher_yuan"] + equipment * UNIT["equipment_yuan_per_yuan"]
            + rooms * UNIT["multimedia_room_yuan"])


def _sizes(plan: InvestmentPlan) -> dict[str, int]:
    sec = plan.after_dataset.table("sections").filter(pl.col("year") == 2024)
    return dict(sec.group_by("school_id").agg(pl.col("students").sum()).iter_rows())


def test_one_school_of_2300_needs_one_campus_of_300_seats_at_the_hand_cost() -> None:
    ds = tiny_county([2300, 600])
    plan = plan_county(ds, COUNTY, 2024, time_limit=30)
    campus = plan.actions.filter(pl.col("kind") == "new_campus")
    assert campus.height == 1
    row = campus.row(0, named=True)
    assert row["quantity"] == 2300 - CAP == 300
    assert row["from_school_id"] == school_id(0) and row["unit"] == "学位"
    assert row["cost_yuan"] == pytest.approx(_hand_cost(300))
    # Nothing else is needed: the campus is built to the standard, both old schools were already.
    assert plan.actions.height == 1
    assert plan.total_cost_yuan == pytest.approx(_hand_cost(300))
    # The independent check: the engine sees three schools, none over its cap.
    sizes = _sizes(plan)
    new_id = row["school_id"]
    assert sizes == {school_id(0): CAP, school_id(1): 600, new_id: 300}
    assert new_id.startswith(COUNTY) and len(new_id) == 10
    assert plan.check.g04_school_size == "passed" and plan.check.schools_over_size_cap == ()
    assert plan.after.county_result(COUNTY).items["g04_school_size"].status == "passed"
    assert plan.before.county_result(COUNTY).items["g04_school_size"].status == "failed"
    assert plan.check.resources_passed
    school = plan.after_dataset.table("schools").filter(pl.col("school_id") == new_id).row(0, named=True)
    assert school["parent_school_id"] == school_id(0) and school["school_type"] == "primary"
    assert "规划" in school["school_name"]
    # Classes at the class cap, rounded up; the campus meets every indicator itself.
    new_sec = plan.after_dataset.table("sections").filter(pl.col("school_id") == new_id).row(0, named=True)
    assert new_sec["classes"] == math.ceil(300 / RULES.class_size_max["primary"])
    evaluated = next(s for s in plan.after.school_results() if s.school_id == new_id)
    assert evaluated.passed and evaluated.met_count == 7
    js = plan.to_json()
    assert js["new_campuses"][0]["seats"] == 300 and js["new_campuses"][0]["proposed"] is True
    assert any("新建" in line for line in js["explanation_zh"])


def test_nearby_oversized_schools_share_one_campus_far_ones_do_not() -> None:
    near = tiny_county([2300, 2100, 500], coords=[(39.0, 100.0), (39.01, 100.0), (39.02, 100.0)])
    plan = plan_county(near, COUNTY, 2024, time_limit=30)
    campus = plan.actions.filter(pl.col("kind") == "new_campus")
    assert campus["quantity"].to_list() == [400]
    assert campus["cost_yuan"][0] == pytest.approx(_hand_cost(400))
    assert max(_sizes(plan).values()) <= CAP

    far = tiny_county([2300, 2100, 500], coords=[(39.0, 100.0), (39.5, 100.0), (39.02, 100.0)])
    plan = plan_county(far, COUNTY, 2024, time_limit=30)
    campus = plan.actions.filter(pl.col("kind") == "new_campus").sort("quantity")
    assert campus["quantity"].to_list() == [100, 300]
    assert campus["cost_yuan"].sum() == pytest.approx(_hand_cost(100) + _hand_cost(300))
    assert plan.check.schools_over_size_cap == ()


def test_a_school_over_twice_the_cap_gets_campuses_each_within_the_cap() -> None:
    plan = plan_county(tiny_county([4500, 600]), COUNTY, 2024, time_limit=30)
    campus = plan.actions.filter(pl.col("kind") == "new_campus")
    assert campus["quantity"].sum() == 4500 - CAP
    assert campus.height == 2 and campus["quantity"].max() <= CAP
    assert max(_sizes(plan).values()) <= CAP
    assert plan.check.g04_school_size == "passed"


def test_new_campus_costs_are_validated() -> None:
    with pytest.raises(CostsError):
        load_costs({"new_campus": {"fixed_yuan": -1}})
    with pytest.raises(CostsError):
        load_costs({"new_campus": {"site_yuan": 1}})


def test_a_cheap_seat_is_flagged_in_the_explanation() -> None:
    # With seats cheaper than what a student fewer saves the parent, moving only the excess may
    # no longer be the least cost: the plan says so rather than claim it.
    costs = load_costs({"new_campus": {"seat_yuan": {"primary": 1000}}})
    plan = plan_county(tiny_county([2300, 600]), COUNTY, 2024, costs=costs, time_limit=30)
    assert any(line.startswith("注意") for line in plan.explanation_zh)
    default = plan_county(tiny_county([2300, 600]), COUNTY, 2024, time_limit=30)
    assert not any(line.startswith("注意") for line in default.explanation_zh)


def _nine_year_county() -> Dataset:
    """A 九年一贯制 school of 1800 + 900 compulsory students (cap 2500) and a primary school,
    every resource at 1.5 times each threshold."""

    t = RULES.thresholds
    sec, fac = [], []
    for sid, stages in ((school_id(0), {"primary": 1800, "junior": 900}), (school_id(1), {"primary": 600})):
        for st, p in stages.items():
            sec.append({"year": 2024, "school_id": sid, "stage": st, "students": p, "classes": -(-p // 40),
                        "teachers": p // 12, "certified_teachers": p // 12,
                        **{k: round(1.5 * t[f"{k}_per_100"][st] * p / 100)
                           for k in ("degree_teachers", "backbone_teachers", "pe_art_teachers")}})
        w = {"primary": 1.0, "junior": 1.1}
        wsum = sum(w[st] * p for st, p in stages.items())
        fac.append({"year": 2024, "school_id": sid, **{
            col: 1.5 * max(t[ind][st] / scale / w[st] for st in stages) * wsum
            for col, ind, scale in (("teaching_area_m2", "teaching_area_per_student", 1),
                                    ("sports_area_m2", "sports_area_per_student", 1),
                                    ("equipment_value_yuan", "equipment_value_per_student", 1),
                                    ("multimedia_rooms", "multimedia_rooms_per_100", 100))}})
    for f in fac:
        f["multimedia_rooms"] = math.ceil(f["multimedia_rooms"])
    schools = pl.DataFrame({"school_id": [school_id(0), school_id(1)], "school_name": ["一贯制学校", "小学"],
                            "county_code": COUNTY, "school_type": ["nine_year", "primary"],
                            "ownership": "public", "locale": "urban",
                            "latitude": [39.0, 39.01], "longitude": [100.0, 100.0]})
    return Dataset.from_frames({
        "counties": pl.DataFrame({"county_code": [COUNTY], "county_name": ["测试县"]}),
        "schools": schools, "sections": pl.DataFrame(sec), "facilities": pl.DataFrame(fac)})


def test_a_nine_year_school_gives_both_stages_to_a_nine_year_campus() -> None:
    plan = plan_county(_nine_year_county(), COUNTY, 2024, time_limit=30)
    cap = RULES.school_size_max["nine_year"]
    campus = plan.new_campuses
    assert len(campus) == 1 and campus[0].school_type == "nine_year"
    assert campus[0].seats == 2700 - cap
    # In proportion to the stages (1800 : 900).
    assert campus[0].students_by_stage == {"primary": 133, "junior": 67}
    assert plan.actions.filter(pl.col("kind") == "new_campus")["stage"].to_list() == [None]
    # The weighted-student split of the engine gives each stage part its threshold.
    parts = [s for s in plan.after.school_results() if s.school_id == campus[0].school_id]
    assert {p.stage for p in parts} == {"primary", "junior"}
    assert all(p.passed and p.met_count == 7 for p in parts)
    assert plan.check.g04_school_size == "passed" and plan.check.resources_passed
    assert max(_sizes(plan).values()) <= cap
