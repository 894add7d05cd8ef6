"""Rotation list on a small hand-made county: every rule checked here from the returned list."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest

from junheng.domain.dataset import Dataset
from junheng.domain.reasons import Reason
from junheng.planners.teachers import RotationError, rotate_teachers
from junheng.planners.teachers.rotation import (
    _RELAXATIONS,
    check_rotation,
    direction_flags,
    load_params,
    standard_shares,
)
from junheng.planners.teachers.words import say

COUNTY = "629802"
YEAR = 2024
SUBJECTS = ["语文", "数学", "英语", "体育", "音乐"]
# School 3 is far away (≈ 200 km): nobody may rotate to or from it.
COORDS = [(39.00, 100.00), (39.02, 100.01), (39.04, 100.00), (41.00, 100.00)]
BACKBONE = [8, 2, 4, 4]       # school 1 is short of county-level backbone teachers (needs 4)


def _sid(i: int) -> str:
    return f"{COUNTY}{i:04d}"


def _county(locales: tuple[str, ...] = ("town",) * 4) -> Dataset:
    rng = np.random.default_rng(11)
    teachers = []
    for s in range(4):
        for k in range(20):
            bb = k < BACKBONE[s]
            teachers.append({
                "year": YEAR, "teacher_id": f"T{s}-{k:02d}", "school_id": _sid(s), "stage": "primary",
                "subject": SUBJECTS[k % len(SUBJECTS)], "degree": "bachelor", "title": "intermediate",
                "backbone_level": "county" if bb else ("school" if k % 3 == 0 else "none"),
                "years_at_school": int(rng.integers(1, 14)),
                # A few near retirement (age 57) and a few flagged ineligible by the bureau.
                "birth_year": YEAR - (57 if k % 7 == 6 else int(rng.integers(28, 50))),
                "is_certified": True, "is_rotation_eligible": k % 9 != 8,
            })
    t = pl.DataFrame(teachers)
    sections = (t.group_by("school_id").agg(
        teachers=pl.len(), backbone_teachers=(pl.col("backbone_level") == "county").sum(),
        degree_teachers=pl.len(), pe_art_teachers=pl.col("subject").is_in(["体育", "音乐"]).sum(),
        certified_teachers=pl.len())
        .with_columns(year=pl.lit(YEAR), stage=pl.lit("primary"), students=pl.lit(400), classes=pl.lit(10)))
    facilities = pl.DataFrame({"year": YEAR, "school_id": [_sid(i) for i in range(4)],
                               "teaching_area_m2": 3000.0, "sports_area_m2": 4000.0,
                               "equipment_value_yuan": 1.0e6, "multimedia_rooms": 12})
    schools = pl.DataFrame({"school_id": [_sid(i) for i in range(4)],
                            "school_name": [f"轮岗测试学校{i}" for i in range(4)], "county_code": COUNTY,
                            "school_type": "primary", "ownership": "public", "locale": list(locales),
                            "latitude": [c[0] for c in COORDS], "longitude": [c[1] for c in COORDS]})
    return Dataset.from_frames({"counties": pl.DataFrame({"county_code": [COUNTY], "county_name": ["轮岗县"]}),
                                "schools": schools, "sections": sections, "facilities": facilities,
                                "teachers": t})


def _eligible_by_hand(t: pl.DataFrame, params: dict) -> pl.DataFrame:
    el = params["eligibility"]
    return t.filter(pl.col("is_rotation_eligible")
                    & (pl.col("years_at_school") >= el["min_years_at_school"])
                    & (YEAR - pl.col("birth_year") <= el["retirement_age"] - el["years_before_retirement"]))


def _km(a: tuple[float, float], b: tuple[float, float]) -> float:
    p1, p2 = math.radians(a[0]), math.radians(b[0])
    dl = math.radians(b[1] - a[1])
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def test_rotation_list_meets_every_rule() -> None:
    ds = _county()
    params = load_params()
    plan = rotate_teachers(ds, COUNTY, YEAR)
    out = plan.to_json()
    t = ds.table("teachers")
    elig = _eligible_by_hand(t, params)
    moves = out["moves"]
    min_share, bb_share, _ = standard_shares(YEAR)
    assert out["status"] == "optimal"
    assert out["eligible_teachers"] == elig.height
    # ≥ 10 % of the eligible rotate, ≥ 20 % of the rotated are county-level or higher backbone.
    assert len(moves) >= math.ceil(min_share * elig.height)
    level = dict(zip(t["teacher_id"], t["backbone_level"], strict=False))
    n_bb = sum(level[m["teacher_id"]] in ("county", "city", "province", "national") for m in moves)
    assert n_bb >= bb_share * len(moves)
    # Only eligible teachers, each once, from their own school to another school.
    ok = set(elig["teacher_id"])
    home = dict(zip(t["teacher_id"], t["school_id"], strict=False))
    assert all(m["teacher_id"] in ok for m in moves)
    assert len({m["teacher_id"] for m in moves}) == len(moves)
    assert all(m["from_school_id"] == home[m["teacher_id"]] != m["to_school_id"] for m in moves)
    # Travel within the limit; the far school takes no part.
    idx = {_sid(i): i for i in range(4)}
    for m in moves:
        assert _km(COORDS[idx[m["from_school_id"]]], COORDS[idx[m["to_school_id"]]]) <= params["limits"]["max_km"]
    assert _sid(3) not in {m["from_school_id"] for m in moves} | {m["to_school_id"] for m in moves}
    # Subject and headcount balance per school.
    subj = dict(zip(t["teacher_id"], t["subject"], strict=False))
    for s in idx:
        for sub in SUBJECTS:
            gin = sum(1 for m in moves if m["to_school_id"] == s and subj[m["teacher_id"]] == sub)
            gout = sum(1 for m in moves if m["from_school_id"] == s and subj[m["teacher_id"]] == sub)
            assert abs(gin - gout) <= params["limits"]["subject_balance"]
        net = sum(m["to_school_id"] == s for m in moves) - sum(m["from_school_id"] == s for m in moves)
        assert abs(net) <= params["limits"]["headcount_balance"]
    # Toward the school that needs backbone teachers: school 1 gains backbone teachers net.
    bb_in = sum(1 for m in moves if m["to_school_id"] == _sid(1) and level[m["teacher_id"]] == "county")
    bb_out = sum(1 for m in moves if m["from_school_id"] == _sid(1) and level[m["teacher_id"]] == "county")
    assert bb_in - bb_out >= 1
    assert out["shortfall_after"]["backbone"] < out["shortfall_before"]["backbone"]
    # The planner's own check agrees, and the explanation names the rule's source.
    assert all(c["passed"] for c in out["checks"])
    assert any("教督〔2017〕6号" in line for line in out["explanation_zh"])


def test_higher_share_is_honoured_and_lower_refused() -> None:
    ds = _county()
    plan = rotate_teachers(ds, COUNTY, YEAR, share=0.15)
    assert plan.moves.height >= math.ceil(0.15 * plan.eligible)
    with pytest.raises(RotationError):
        rotate_teachers(ds, COUNTY, YEAR, share=0.05)


def test_impossible_distance_limit_is_reported() -> None:
    ds = _county()
    plan = rotate_teachers(ds, COUNTY, YEAR, params={"limits": {"max_km": 0.5}})
    assert plan.status == "infeasible"
    assert plan.moves.height == 0
    assert any("无法排出" in line for line in plan.explanation_zh)
    # The diagnosis says how many the other rules allow and which relaxation would help.
    assert any("最多只能安排 0 人" in line for line in plan.explanation_zh)
    assert any("距离上限" in line or "不够" in line for line in plan.explanation_zh)


def _relaxed(key: str) -> dict[str, dict[str, float]]:
    """The parameters of one of the diagnosis's relaxations, as a bureau would pass them."""
    sect, _, name = key.rpartition(".")
    base = load_params()[sect or "limits"][name]
    fn = dict(_RELAXATIONS)[key]
    return {sect or "limits": {name: fn(base)}}


def test_a_share_the_schools_cannot_give_says_the_proven_most() -> None:
    """Half the eligible teachers cannot rotate when each school may lose at most a fifth of its
    staff: the diagnosis proves the most that can, and says it as a most in both languages. That
    many can indeed rotate, one more cannot, and exactly the relaxations it names give a list."""
    ds = _county()
    plan = rotate_teachers(ds, COUNTY, YEAR, share=0.5)
    assert plan.status == "infeasible"
    [most] = [r for r in plan.explanation if r.kind == "most_possible"]
    n = most.params["most"]
    assert most.params["proven"] and 0 < n < plan.required
    assert f"最多只能安排 {n} 人轮岗" in "".join(plan.explanation_zh)
    assert f"at most {n} teachers can rotate" in " ".join(plan.explanation_in("en"))
    assert rotate_teachers(ds, COUNTY, YEAR, share=n / plan.eligible).status == "optimal"
    assert rotate_teachers(ds, COUNTY, YEAR, share=(n + 1) / plan.eligible).status == "infeasible"
    [relax] = [r for r in plan.explanation if r.kind == "relaxations"]
    assert relax.params["unknown"] == [] and relax.params["helps"]
    for key, _ in _RELAXATIONS:
        got = rotate_teachers(ds, COUNTY, YEAR, share=0.5, params=_relaxed(key))
        assert (got.status == "optimal") == (key in relax.params["helps"]), key
    assert "未能" not in "".join(plan.explanation_zh)
    assert "time limit" not in " ".join(plan.explanation_in("en"))


def test_a_diagnosis_out_of_time_claims_no_most_and_no_useless_relaxation() -> None:
    """With no time for the diagnosis's solver, the number that can rotate is not claimed as a
    most, and a relaxation it could not settle is unknown, not useless: every relaxation that
    helps with time enough is among those it calls unknown (or helpful)."""
    ds = _county()
    full = rotate_teachers(ds, COUNTY, YEAR, share=0.5)
    plan = rotate_teachers(ds, COUNTY, YEAR, share=0.5,
                           params={"solver": {"diagnosis_time_limit_s": 1e-6}})
    assert plan.status == "infeasible"
    [most] = [r for r in plan.explanation if r.kind == "most_possible"]
    [full_most] = [r for r in full.explanation if r.kind == "most_possible"]
    assert not most.params["proven"]
    # Its upper limit (from the LP relaxation) is no less than the proven most.
    assert most.params["bound"] >= full_most.params["most"] >= most.params["most"]
    zh, en = "".join(plan.explanation_zh), " ".join(plan.explanation_in("en"))
    assert "最多只能" not in zh and "teachers can rotate, and" not in en
    assert "时间上限内未能算出" in zh and "time limit passed before" in en
    [relax] = [r for r in plan.explanation if r.kind == "relaxations"]
    [full_relax] = [r for r in full.explanation if r.kind == "relaxations"]
    assert set(full_relax.params["helps"]) <= set(relax.params["unknown"]) | set(relax.params["helps"])
    assert relax.params["unknown"]
    assert "未能判定" in zh and "before it was settled" in en


def test_a_most_found_at_the_time_limit_reads_as_a_least() -> None:
    """A list of 7 found when the time ran out (the LP allows up to 8): 'at least 7', never
    'at most', in both languages."""
    r = Reason("most_possible", {"most": 7, "required": 9, "proven": False, "bound": 8})
    zh, en = say(r), say(r, "en")
    assert "至少可以安排 7 人" in zh and "未能证明" in zh and "不超过 8 人" in zh and "最多只能" not in zh
    assert "at least 7 teachers can rotate" in en and "proven" in en and "at most 8" in en
    assert "at most 7" not in en


def test_unknown_parameter_is_an_error() -> None:
    with pytest.raises(RotationError):
        load_params({"limits": {"max_kilometres": 3}})


def test_without_rural_or_weak_schools_the_direction_rule_does_not_apply() -> None:
    out = rotate_teachers(_county(), COUNTY, YEAR).to_json()
    assert out["target_schools"] == []
    [c] = [c for c in out["checks"] if c["rule"] == "direction_toward"]
    assert c["passed"] and "不适用" in c["text_zh"]


def test_teachers_flow_toward_the_rural_school() -> None:
    """Measure 16: school 1 is rural (and short of backbone teachers). Of the teachers leaving
    the other schools at least half go there, and at least 80 % of the backbone teachers moved
    go there — counted here from the list alone."""
    params = load_params()
    d = params["direction"]
    out = rotate_teachers(_county(("town", "rural", "town", "town")), COUNTY, YEAR).to_json()
    assert out["status"] in ("optimal", "feasible")
    moves = out["moves"]
    assert [s["school_id"] for s in out["target_schools"]] == [_sid(1)]
    assert out["target_schools"][0]["reason_zh"].startswith("乡村学校")
    level = dict(zip(_county()["teachers"]["teacher_id"], _county()["teachers"]["backbone_level"],
                     strict=True))
    from_other = [m for m in moves if m["from_school_id"] != _sid(1)]
    toward = [m for m in from_other if m["to_school_id"] == _sid(1)]
    assert from_other and len(toward) >= d["min_share_toward"] * len(from_other)
    bb = [m for m in moves if level[m["teacher_id"]] == "county"]
    assert bb and sum(m["to_school_id"] == _sid(1) for m in bb) >= d["backbone_min_share_toward"] * len(bb)
    # The report says the same, and the planner's own re-check passes.
    assert out["direction"]["moves_from_other"] == len(from_other)
    assert out["direction"]["moves_toward"] == len(toward)
    assert out["direction"]["distance_km_toward"]["max"] <= params["limits"]["max_km"]
    assert all(c["passed"] for c in out["checks"])
    assert any("第16条" in line for line in out["explanation_zh"])


def test_check_catches_a_list_that_ignores_the_direction() -> None:
    """A list sending teachers only between the town schools fails the direction check."""
    ds = _county(("town", "rural", "town", "town"))
    plan = rotate_teachers(ds, COUNTY, YEAR)
    t = ds.table("teachers").filter(pl.col("school_id") == _sid(0)).head(2)
    wrong = plan.moves.head(0).vstack(pl.DataFrame({
        "teacher_id": t["teacher_id"], "stage": "primary", "subject": t["subject"],
        "from_school_id": _sid(0), "from_school_name": "x", "to_school_id": _sid(2),
        "to_school_name": "y", "distance_km": 4.5, "is_backbone": True, "is_degree": True,
        "is_pe_art": False, "backbone_level": "county", "years_at_school": 9,
        "from_is_target": True, "to_is_target": True,  # claims the list gets wrong on purpose
        "to_reason": None}, schema=plan.moves.schema))
    checks = {c["rule"]: c for c in check_rotation(wrong, ds.table("teachers"), plan.parts,
                                                   load_params(), 0.1, 0.2, YEAR)}
    assert not checks["direction_toward"]["passed"]
    assert not checks["backbone_toward"]["passed"]


def test_weak_means_below_the_county_on_enough_indicators() -> None:
    params = load_params()
    k = params["direction"]["weak_min_indicators_below"]
    from junheng.planners.teachers.rotation import _indicator_ids

    inds = params["direction"]["weak_indicators"]
    assert set(inds) <= set(_indicator_ids())
    # Three parts of 100 pupils: part B is below the (weighted) county level on exactly k of
    # the counted indicators, part C on k - 1; the other indicators do not count.
    rows = []
    others = [i for i in _indicator_ids() if i not in inds]
    for name, below in (("A", 0), ("B", k), ("C", k - 1)):
        row = {"school_id": name, "stage": "primary", "students": 100, "locale": "urban"}
        row.update({i: (1.0 if j < below else 3.0) for j, i in enumerate(inds)})
        row.update({i: (1.0 if name == "C" else 3.0) for i in others})
        rows.append(row)
    flags = direction_flags(pl.DataFrame(rows), params)
    assert flags["indicators_below"].to_list() == [0, k, k - 1]
    assert flags["is_weak"].to_list() == [False, True, False]
    assert flags["is_target"].to_list() == [False, True, False]
