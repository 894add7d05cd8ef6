"""Allocation equals an independent implementation; it is stable and student-optimal; the
lottery follows the documented generator; precedence changes outcomes exactly as the rules say."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import junheng.admissions
from junheng.admissions.allocate import allocate
from junheng.admissions.mechanism import deferred_acceptance
from junheng.admissions.rules import RulesError, load_rules, shipped_rules
from tests.admissions.instances import COUNTY, YEAR, dataset, instances
from tests.admissions.reference import reference_allocate


def _shipped_order(county: str, year: int) -> list[list[str]]:
    """The precedence in force, read from the shipped YAML with plain yaml (not rules.py), so
    the reference implementation gets it independently."""
    import yaml

    path = Path(junheng.admissions.__file__).parent / "data" / "precedence.yaml"
    doc = yaml.safe_load(path.read_text("utf-8"))
    mine = [r for r in doc["counties"]
            if str(r["county_code"]) == county and int(r["from_year"]) <= year]
    rule = max(mine, key=lambda r: int(r["from_year"])) if mine else doc["default"]
    return [c if isinstance(c, list) else [c] for c in rule["order"]]


ORDER = _shipped_order(COUNTY, YEAR)

SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def _by_id(alloc) -> dict[str, dict]:  # type: ignore[no-untyped-def]
    return {r["application_id"]: r for r in alloc.results.iter_rows(named=True)}


@SETTINGS
@given(instances())
def test_allocation_equals_the_independent_implementation(case) -> None:  # type: ignore[no-untyped-def]
    ds, seed = case
    alloc = allocate(ds, COUNTY, YEAR, "primary", seed)
    ref = reference_allocate(ds, COUNTY, YEAR, "primary", seed, ORDER)
    assert alloc.list_sha256 == ref.list_hash
    got = _by_id(alloc)
    assert set(got) == set(ref.lottery)
    for aid, r in got.items():
        assert r["lottery_number"] == ref.lottery[aid]
        assert (r["school_id"], r["round"], r["choice_rank"]) == (
            ref.school[aid], ref.round[aid], ref.choice_rank[aid]), aid
    admitted = dict(zip(alloc.schools["school_id"], alloc.schools["admitted"], strict=True))
    for s, seats in ref.seats.items():
        assert admitted[s] == sum(1 for v in ref.school.values() if v == s) <= seats


@SETTINGS
@given(instances())
def test_round_one_is_stable_and_explains_every_better_choice(case) -> None:  # type: ignore[no-untyped-def]
    ds, seed = case
    alloc = allocate(ds, COUNTY, YEAR, "primary", seed)
    ref = reference_allocate(ds, COUNTY, YEAR, "primary", seed, ORDER)
    got = _by_id(alloc)
    round1 = {a: (r["school_id"] if r["round"] == 1 else None) for a, r in got.items()}
    holders: dict[str, list[str]] = {}
    for a, s in round1.items():
        if s is not None:
            holders.setdefault(s, []).append(a)
    why = alloc.why_not
    for a, lst in ref.prefs.items():
        mine = round1[a]
        better = lst if mine is None else lst[:lst.index(mine)]
        explained = why.filter((pl.col("application_id") == a) & (pl.col("reason") == "full"))
        assert explained["school_id"].to_list() == better
        for s in better:
            # No blocking pair: the school is full and every holder has higher priority.
            assert len(holders.get(s, [])) == ref.seats[s]
            assert all(ref.priority[(s, h)] < ref.priority[(s, a)] for h in holders[s])


def _stable_matchings(prefs: dict[str, list[str]], priority: dict[tuple[str, str], tuple],
                      seats: dict[str, int]) -> list[dict[str, str | None]]:
    apps = sorted(prefs)
    out = []
    for combo in itertools.product(*[[None, *prefs[a]] for a in apps]):
        m = dict(zip(apps, combo, strict=True))
        load: dict[str, list[str]] = {}
        for a, s in m.items():
            if s is not None:
                load.setdefault(s, []).append(a)
        if any(len(v) > seats[s] for s, v in load.items()):
            continue
        stable = True
        for a in apps:
            lst = prefs[a]
            better = lst if m[a] is None else lst[:lst.index(m[a])]
            for s in better:
                held = load.get(s, [])
                if len(held) < seats[s] or any(priority[(s, a)] < priority[(s, h)] for h in held):
                    stable = False
                    break
            if not stable:
                break
        if stable:
            out.append(m)
    return out


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(max_schools=3, max_apps=6))
def test_round_one_is_student_optimal(case) -> None:  # type: ignore[no-untyped-def]
    ds, seed = case
    alloc = allocate(ds, COUNTY, YEAR, "primary", seed)
    ref = reference_allocate(ds, COUNTY, YEAR, "primary", seed, ORDER)
    got = {a: (r["school_id"] if r["round"] == 1 else None) for a, r in _by_id(alloc).items()}
    stable = _stable_matchings(ref.prefs, ref.priority, ref.seats)
    assert got in stable
    for m in stable:
        for a, lst in ref.prefs.items():
            pos = {s: i for i, s in enumerate(lst)}
            assert pos.get(got[a], len(lst)) <= pos.get(m[a], len(lst))


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_batched_deferred_acceptance_equals_one_at_a_time(data: st.DataObject) -> None:
    n = data.draw(st.integers(0, 40))
    s = data.draw(st.integers(1, 6))
    seats = np.asarray(data.draw(st.lists(st.integers(0, 5), min_size=s, max_size=s)),
                       dtype=np.int64)
    lists = [data.draw(st.lists(st.integers(0, s - 1), max_size=s, unique=True))
             for _ in range(n)]
    pri = {(j, i): data.draw(st.integers(0, 10**6)) * 100 + i for i in range(n)
           for j in range(s)}
    e_school = np.asarray([j for lst in lists for j in lst], dtype=np.int64)
    e_app = np.asarray([i for i, lst in enumerate(lists) for _ in lst], dtype=np.int64)
    e_pri = np.asarray([pri[(j, i)] for j, i in zip(e_school, e_app, strict=True)],
                       dtype=np.int64)
    counts = np.asarray([len(x) for x in lists], dtype=np.int64)
    end = np.cumsum(counts)
    held = deferred_acceptance(end - counts, end, e_school, e_pri, seats)
    got = [int(e_school[h]) if h >= 0 else None for h in held]
    # one at a time
    match: list[int | None] = [None] * n
    nxt = [0] * n
    keep: dict[int, list[int]] = {j: [] for j in range(s)}
    free = list(range(n))
    while free:
        i = free.pop(0)
        if nxt[i] >= len(lists[i]):
            continue
        j = lists[i][nxt[i]]
        nxt[i] += 1
        keep[j] = sorted([*keep[j], i], key=lambda x: pri[(j, x)])
        match[i] = j
        if len(keep[j]) > seats[j]:
            out = keep[j].pop()
            match[out] = None
            free.append(out)
    assert got == match


# --- hand-made cases: precedence, 多校划片, private lottery, round 2 ---------------------------

def _two_applicants(cat_a: str, cat_b: str, seats: int = 1):  # type: ignore[no-untyped-def]
    return dataset(
        schools=[{"school_id": "6207230001", "ownership": "public", "lat": 39.1, "lon": 100.1},
                 {"school_id": "6207230002", "ownership": "public", "lat": 39.3, "lon": 100.3}],
        areas=[{"area_id": "A1", "lat": 39.1, "lon": 100.1}],
        zones=[("A1", "6207230001")],
        plans={"6207230001": seats, "6207230002": 5},
        apps=[{"application_id": "A", "area_id": "A1", "category": cat_a,
               "choices": ["6207230001"]},
              {"application_id": "B", "area_id": "A1", "category": cat_b,
               "choices": ["6207230001"]}])


def test_default_precedence_puts_preferential_first_whatever_the_lottery() -> None:
    ds = _two_applicants("migrant", "preferential")
    for seed in ["1", "2", "3", "4", "5", "6"]:
        got = _by_id(allocate(ds, COUNTY, YEAR, "primary", seed))
        assert got["B"]["school_id"] == "6207230001" and got["B"]["round"] == 1
        # A goes to round 2 (调剂): the only other public school with seats.
        assert got["A"]["round"] == 2 and got["A"]["school_id"] == "6207230002"
        assert "调剂" in got["A"]["reason_zh"]


DEFAULT_ONLY = """
default:
  source: spec
  date: 2024-01-01
  order: [[preferential], [hukou_house], [house], [hukou], [migrant], [other]]
counties: []
"""


def _in_year(ds, year: int):  # type: ignore[no-untyped-def]
    for name in ("applications", "admission_plans", "area_assignments"):
        ds = ds.with_table(name, ds.table(name).with_columns(pl.lit(year).alias("year")))
    return ds


def test_a_county_rule_reorders_classes_and_merging_hands_it_to_the_lottery() -> None:
    ds = _two_applicants("hukou", "migrant")
    rules = load_rules("""
default:
  source: spec
  date: 2024-01-01
  order: [[preferential], [hukou_house], [house], [hukou], [migrant], [other]]
counties:
  - county_code: '620723'
    from_year: 2025
    source: 临泽县2025年招生方案（测试）
    date: 2025-05-01
    order: [[preferential], [migrant], [hukou_house], [house], [hukou], [other]]
  - county_code: '620723'
    from_year: 2026
    source: 临泽县2026年招生方案（测试）
    date: 2026-05-01
    order: [[preferential], [hukou_house, house, hukou, migrant], [other]]
""")
    spec_default = load_rules(DEFAULT_ONLY)
    for seed in map(str, range(8)):
        default = _by_id(allocate(ds, COUNTY, YEAR, "primary", seed, spec_default))
        assert default["A"]["school_id"] == "6207230001"  # hukou before migrant
    county = _by_id(allocate(ds, COUNTY, YEAR, "primary", "s", rules))
    assert county["B"]["school_id"] == "6207230001"  # the county put migrant first
    # 2026: merged class, the lower lottery number wins, for every seed.
    ds26 = _in_year(ds, 2026)
    for seed in map(str, range(8)):
        got = _by_id(allocate(ds26, COUNTY, 2026, "primary", seed, rules))
        winner = min(got, key=lambda a: got[a]["lottery_number"])
        assert got[winner]["school_id"] == "6207230001" and got[winner]["round"] == 1
    assert rules.for_county(COUNTY, 2024).county_code is None  # before any county rule


def test_zhangye_counties_follow_measure_12_of_the_2024_measures() -> None:
    rules = shipped_rules()
    for county in ("620702", "620721", "620722", "620723", "620724", "620725"):
        rule = rules.for_county(county, 2025)
        assert rule.county_code == county and rule.from_year == 2024
        assert "市委办发〔2024〕2号" in rule.source and rule.date.isoformat() == "2024-01-05"
        assert rule.classes[0] == ("preferential",)
        assert rule.rank("hukou") == rule.rank("migrant")
        assert rule.rank("house") < rule.rank("migrant") < rule.rank("other")
    assert rules.for_county("620723", 2023).county_code is None  # before the measures
    assert rules.for_county("999999", 2025).county_code is None  # not a Zhangye county


def test_migrant_child_is_on_equal_terms_with_a_hukou_child_in_zhangye() -> None:
    """Measure 12: one class, so the lottery alone decides, whichever category is whose."""
    ds = _two_applicants("hukou", "migrant")
    winners = set()
    for seed in map(str, range(12)):
        got = _by_id(allocate(ds, COUNTY, YEAR, "primary", seed))
        winner = min(got, key=lambda a: got[a]["lottery_number"])
        loser = "A" if winner == "B" else "B"
        assert got[winner]["school_id"] == "6207230001" and got[winner]["round"] == 1
        assert got[loser]["round"] == 2
        winners.add(got[winner]["category"])
    assert winners == {"hukou", "migrant"}  # each class wins on some seed: equal terms
    # Before the 2024 measures the spec's default ranks hukou first on every seed.
    ds23 = _in_year(ds, 2023)
    for seed in map(str, range(12)):
        got = _by_id(allocate(ds23, COUNTY, 2023, "primary", seed))
        assert got["A"]["school_id"] == "6207230001" and got["A"]["round"] == 1


@pytest.mark.parametrize(("higher", "lower"), [
    ("preferential", "hukou_house"), ("preferential", "migrant"), ("hukou_house", "house"),
    ("house", "migrant"), ("house", "hukou"), ("migrant", "other")])
def test_zhangye_classes_that_differ_decide_before_the_lottery(higher: str, lower: str) -> None:
    ds = _two_applicants(lower, higher)  # A has the lower class, B the higher
    for seed in map(str, range(8)):
        got = _by_id(allocate(ds, COUNTY, YEAR, "primary", seed))
        assert got["B"]["school_id"] == "6207230001" and got["B"]["round"] == 1
        assert got["A"]["round"] == 2


def test_private_school_ignores_category_and_public_school_only_takes_its_zone() -> None:
    ds = dataset(
        schools=[{"school_id": "6207230001", "ownership": "private", "lat": 39.1, "lon": 100.1},
                 {"school_id": "6207230002", "ownership": "public", "lat": 39.1, "lon": 100.2},
                 {"school_id": "6207230003", "ownership": "public", "lat": 39.1, "lon": 100.3}],
        areas=[{"area_id": "A1", "lat": 39.1, "lon": 100.1},
               {"area_id": "A2", "lat": 39.1, "lon": 100.3}],
        zones=[("A1", "6207230002"), ("A1", "6207230003"), ("A2", "6207230003")],
        plans={"6207230001": 1, "6207230002": 1, "6207230003": 2},
        apps=[{"application_id": k, "area_id": "A1" if k != "Z" else "A2",
               "category": c, "choices": ["6207230001", "6207230002"]}
              for k, c in [("X", "preferential"), ("Y", "other"), ("Z", "other")]])
    alloc = allocate(ds, COUNTY, YEAR, "primary", "seed")
    got = _by_id(alloc)
    private = next(a for a in got if got[a]["school_id"] == "6207230001")
    assert got[private]["lottery_number"] == min(
        got[a]["lottery_number"] for a in got)  # lowest number wins, whatever the category
    # Z lives in A2: 6207230002 is not a zone school for Z, so that choice is ignored.
    why_z = alloc.why_not.filter(pl.col("application_id") == "Z")
    assert "not_zone" in why_z["reason"].to_list()
    if got["Z"]["school_id"] != "6207230001":
        assert got["Z"]["school_id"] == "6207230003" and got["Z"]["choice_rank"] == "zone"
    # 多校划片: A1 has two zone schools, the appended one is taken in school_id order.
    others = [a for a in ("X", "Y") if a != private]
    for a in others:
        assert got[a]["school_id"] in ("6207230002", "6207230003") and got[a]["in_zone"]


def test_rules_loader_is_strict() -> None:
    base = "default: {source: s, date: 2024-01-01, order: %s}\ncounties: []\n"
    with pytest.raises(RulesError, match="missing"):
        load_rules(base % "[[preferential], [house]]")
    with pytest.raises(RulesError, match="twice"):
        load_rules(base % "[[preferential, preferential], [hukou_house], [house], [hukou], "
                          "[migrant], [other]]")
    with pytest.raises(RulesError, match="unknown category"):
        load_rules(base % "[[vip], [preferential], [hukou_house], [house], [hukou], "
                          "[migrant], [other]]")
    with pytest.raises(RulesError, match="unknown keys"):
        load_rules("default: {source: s, date: 2024-01-01, ordr: []}\n")


# The Chinese reason's opening words → the English reason's, kind for kind.
_RESULT_KINDS = {"人工调整录取": "Placed by the admissions staff", "第一轮录取": "Round 1:",
                 "第二轮调剂录取": "Round 2:", "未录取": "Not placed:",
                 "第一轮未录取": "Not placed in round 1"}
_WHY_KINDS = {"民办学校": "a private school", "已招满（计划": "full (", "该校不在": "the school is not",
              "该校本学段": "the school has no", "公办学校只招收": "a public school admits only",
              "与前面的志愿重复": "the same as"}


@SETTINGS
@given(instances(), st.booleans())
def test_every_reason_is_said_in_english_too(case, round_2: bool) -> None:  # type: ignore[no-untyped-def]
    """The English reasons (admissions/words.py) say the same kind of reason as the Chinese
    ones, row for row, quoting the same numbers, with no Chinese but the schools' names."""
    import re

    from junheng.admissions.words import result_reasons, why_not_reasons

    ds, seed = case
    alloc = allocate(ds, COUNTY, YEAR, "primary", seed, round_2=round_2)
    names = sorted(ds.table("schools")["school_name"].to_list(), key=len, reverse=True)
    for zh, en in [*zip(result_reasons(alloc, "zh"), result_reasons(alloc, "en"), strict=True),
                   *zip(why_not_reasons(alloc, "zh"), why_not_reasons(alloc, "en"),
                        strict=True)]:
        kinds = {**_RESULT_KINDS, **_WHY_KINDS}
        opening = max((k for k in kinds if zh.startswith(k)), key=len)
        assert en.startswith(kinds[opening]), (zh, en)
        # The same numbers in the same order (the Chinese writes the rounds in words).
        numbers = re.findall(r"\d+(?:\.\d+)?", re.sub(r"[Rr]ound \d", "", en))
        assert re.findall(r"\d+(?:\.\d+)?", zh) == numbers, (zh, en)
        for name in names:
            en = en.replace(name, "")
        assert not re.search(r"[\u3000-\u303f\u4e00-\u9fff\uff01-\uff60]", en), en
