"""The demo's admissions (demo/admissions.py): plans and applications of the entry year that
tell their stories when allocated — a private school's lottery, a 多校划片 zone, 随迁子女 and
优抚对象 — and the county report's admissions section, filled except for 肃南."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from junheng.admissions.allocate import Allocation, allocate
from junheng.cli import main
from junheng.demo import generate
from junheng.demo.admissions import DemoAdmissions, admission_tables
from junheng.domain.dataset import Dataset
from junheng.io.writers import write_dataset
from junheng.reports.supervision_report import county_document
from junheng.supervision.report import county_report
from junheng.web.services.admissions import check_resident_id

GANZHOU, SUNAN = "620702", "620721"
REPORTING = ("620702", "620722", "620723", "620724", "620725")
LAST, ENTRY = 2024, 2025
SEED = "2025-07-15 09:00"
CHOICES = [f"choice_{k}" for k in range(1, 6)]


@pytest.fixture(scope="module")
def ds() -> Dataset:
    return generate(seed=0)


@pytest.fixture(scope="module")
def step(ds: Dataset) -> DemoAdmissions:
    """The step again from the generated tables: the same applications, and the children."""
    zones = ds["area_assignments"].filter(pl.col("year") <= LAST)
    return admission_tables(0, ds["schools"], ds["sections"], ds["areas"], ds["area_children"],
                            zones, LAST, ds["counties"])


@pytest.fixture(scope="module")
def city_primary(ds: Dataset) -> Allocation:
    return allocate(ds, GANZHOU, ENTRY, "primary", SEED)


def test_plans_and_applications_of_the_entry_year(ds: Dataset, step: DemoAdmissions) -> None:
    plans, apps = ds["admission_plans"], ds["applications"]
    assert set(plans["year"]) == set(apps["year"]) == {ENTRY}
    assert step.applications.equals(apps) and step.admission_plans.equals(plans)
    schools = ds["schools"].select("school_id", "county_code", "ownership")
    counties = set(plans.join(schools, on="school_id")["county_code"])
    assert counties == set(apps["county_code"]) == set(REPORTING)  # 肃南 has not reported
    assert (plans["seats"] > 0).all()
    # Public and private schools of both entry grades have plans.
    kinds = set(plans.join(schools, on="school_id").select("entry_stage", "ownership")
                .iter_rows())
    assert kinds == {(s, o) for s in ("primary", "junior") for o in ("public", "private")}
    # Every entrant of the cohort model applies (less the ~1.5 % schooled elsewhere).
    kids = (ds["area_children"].filter((pl.col("year") == LAST) & pl.col("age").is_in([5, 11]))
            .join(ds["areas"].select("area_id", "county_code"), on="area_id")
            .filter(pl.col("county_code") != SUNAN))
    assert 0.97 * kids["children"].sum() <= apps.height <= kids["children"].sum()
    # Up to five distinct choices; some list none.
    n_choices = apps.select(pl.sum_horizontal(pl.col(c).is_not_null() for c in CHOICES))
    assert n_choices.to_series().max() <= 5 and n_choices.to_series().min() == 0
    by_county = apps.group_by("county_code").agg(
        (pl.col("category") == "migrant").sum().alias("migrant"),
        (pl.col("category") == "preferential").sum().alias("preferential"))
    assert (by_county["migrant"] > 0).all() and (by_county["preferential"] > 0).all()


def test_applicants_agree_with_the_forecast_of_entrants(ds: Dataset) -> None:
    """Per county, the applicants of each entry grade lie in the 80 % interval that
    ``junheng forecast`` gives for that grade in the entry year."""
    from junheng.forecast.api import forecast

    rows = forecast(ds, 1, levels=("county",)).rows.filter(
        (pl.col("year") == ENTRY) & pl.col("grade").is_in(["1", "7"]))
    apps = ds["applications"].group_by("county_code", "entry_stage").len()
    for county, stage, n in apps.iter_rows():
        grade = "1" if stage == "primary" else "7"
        row = rows.filter((pl.col("unit_id") == county) & (pl.col("grade") == grade))
        assert row["lower"][0] <= n <= row["upper"][0], (county, stage, n)


def test_every_applicant_is_a_child_of_the_entry_age(step: DemoAdmissions) -> None:
    people = step.applicants.join(
        step.applications.select("application_id", "entry_stage", "category"),
        on="application_id")
    assert people.height == step.applications.height
    assert people["resident_id"].n_unique() == people.height
    assert people["child_name"].str.len_chars().min() >= 2
    for rid, stage, born in people.select("resident_id", "entry_stage",
                                          "birth_date").iter_rows():
        assert check_resident_id(rid, ENTRY, stage) is None, rid
        assert rid[6:14] == born.strftime("%Y%m%d")
    assert (people["category_verified"] == people["category"]).all()
    # 随迁子女 hold a 居住证 and were born elsewhere; some claims were not verified.
    migrants = people.filter(pl.col("category") == "migrant")
    assert migrants["has_residence_permit"].all()
    assert not migrants["resident_id"].str.starts_with("6207").any()
    assert (people["category_claimed"] != people["category_verified"]).sum() > 0


def test_every_applicant_has_the_hukou_of_the_resident_id(ds: Dataset,
                                                          step: DemoAdmissions) -> None:
    """户籍所在地 is filled: the county the 身份证号 was issued in, the applicant's own county
    (named as in the counties table) or a 随迁子女's home county elsewhere."""
    people = step.applicants.join(
        step.applications.select("application_id", "county_code", "category"),
        on="application_id")
    assert people["hukou"].str.len_chars().min() > 0
    names = dict(ds["counties"].select("county_code", "county_name").iter_rows())
    settled = people.filter(pl.col("category") != "migrant")
    for rid, county, hukou in settled.select("resident_id", "county_code", "hukou").iter_rows():
        assert rid[:6] == county and hukou.startswith("甘肃省") and hukou.endswith(names[county])
    migrants = people.filter(pl.col("category") == "migrant")
    assert migrants.height > 0
    assert not any(names[c] in h for c, h in migrants.select("county_code", "hukou").iter_rows())


def test_the_private_lottery_school_is_oversubscribed(ds: Dataset, step: DemoAdmissions,
                                                      city_primary: Allocation) -> None:
    lottery_school = step.lottery_school_id
    school = city_primary.schools.filter(pl.col("school_id") == lottery_school).row(
        0, named=True)
    assert school["is_private"]
    apps = ds["applications"].filter((pl.col("county_code") == GANZHOU)
                                     & (pl.col("entry_stage") == "primary"))
    first = apps.filter(pl.col("choice_1") == lottery_school)["application_id"]
    assert first.len() > 1.5 * school["seats"]
    assert school["admitted"] == school["seats"]
    # Among those who asked for it first, the lottery alone decides (not the category).
    asked = city_primary.results.filter(pl.col("application_id").is_in(first.implode()))
    won = asked.filter(pl.col("school_id") == lottery_school)
    lost = asked.filter(pl.col("school_id") != lottery_school)
    assert won.height == school["seats"] and lost.height > 0
    assert won["lottery_number"].max() < lost["lottery_number"].min()
    assert set(won["category"]) > {"hukou_house"}  # 随迁子女 and others won seats too
    # The losers were told why and fell back on their zone school or 调剂.
    assert (lost["school_id"].is_not_null()).all()
    why = city_primary.why_not.filter(pl.col("school_id") == lottery_school)
    assert set(why["reason"]) == {"full"} and why.height >= lost.height


def test_the_multi_school_zone_admits_to_both_schools(ds: Dataset, step: DemoAdmissions,
                                                      city_primary: Allocation) -> None:
    assert len(step.multi_school_areas) >= 2
    zones = ds["area_assignments"].filter(
        (pl.col("year") == ENTRY) & (pl.col("stage") == "primary")
        & pl.col("area_id").is_in(list(step.multi_school_areas)))
    pair = set(zones["school_id"])
    assert len(pair) == 2 and zones.height == 2 * len(step.multi_school_areas)
    there = city_primary.results.filter(
        pl.col("area_id").is_in(list(step.multi_school_areas)) & (pl.col("round") == 1)
        & pl.col("in_zone"))
    assert set(there["school_id"]) == pair
    # Zones of the demo's own years stay one school per area.
    assert not (ds["area_assignments"].filter(pl.col("year") <= LAST)
                .select("year", "area_id", "stage").is_duplicated().any())


def test_priority_categories_at_the_city_schools(city_primary: Allocation) -> None:
    r = city_primary.results
    pref = r.filter(pl.col("category") == "preferential")
    assert pref.height > 0
    # 优抚对象子女 come first at their zone school: none needs 调剂.
    assert (pref["round"] == 1).all()
    migrants = r.filter(pl.col("category") == "migrant")
    assert (migrants["round"] == 1).sum() > 0 and (migrants["round"] == 2).sum() > 0
    assert (r["round"] == 2).sum() > 0  # the crowded city: 调剂
    assert city_primary.why_not.filter(pl.col("reason") == "not_zone").height > 0


def test_the_independent_reference_allocates_the_demo_alike(ds: Dataset,
                                                           city_primary: Allocation) -> None:
    """The plain implementation of the spec in tests/admissions gives the same results on the
    demo's 甘州 primary list (with 甘州's precedence from the shipped rules)."""
    from tests.admissions.reference import reference_allocate
    from tests.admissions.test_allocation import _shipped_order

    ref = reference_allocate(ds, GANZHOU, ENTRY, "primary", SEED,
                             _shipped_order(GANZHOU, ENTRY))
    assert city_primary.list_sha256 == ref.list_hash
    got = city_primary.results.select("application_id", "lottery_number", "school_id", "round",
                                      "choice_rank")
    assert got.height == len(ref.lottery)
    for aid, lot, school, rnd, rank in got.iter_rows():
        assert (lot, school, rnd, rank) == (ref.lottery[aid], ref.school[aid], ref.round[aid],
                                            ref.choice_rank[aid]), aid


def test_allocate_and_verify_on_the_demo(ds: Dataset, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "demo"
    write_dataset(ds, folder)
    out = tmp_path / "result.json"
    args = ["--county", GANZHOU, "--year", str(ENTRY), "--stage", "junior"]
    assert main(["admissions", "allocate", str(folder), *args, "--seed", SEED,
                 "--out", str(out)]) == 0
    assert main(["admissions", "verify", str(folder), *args, "--result", str(out)]) == 0
    assert "复核一致" in capsys.readouterr().out
    # Junior seats fall short in 甘州: some are left without a place, with the reason.
    result = allocate(ds, GANZHOU, ENTRY, "junior", SEED).results
    unplaced = result.filter(pl.col("school_id").is_null())
    assert unplaced.height > 0 and unplaced["reason_zh"].str.len_chars().min() > 0


@pytest.mark.parametrize("county, filled", [(GANZHOU, True), (SUNAN, False)])
def test_the_county_report_admissions_section(ds: Dataset, county: str, filled: bool) -> None:
    report = county_report(ds, county, ENTRY, plan=False, today=dt.date(2025, 9, 1))
    section = next(s for s in county_document(report).sections if s.id == "admissions")
    if not filled:
        assert section.missing_zh and "未报送" in section.missing_zh and not section.tables
        return
    assert section.missing_zh is None
    rows = {r[0]: (r[1], r[2]) for r in section.tables[0].rows}
    plans = ds["admission_plans"].join(ds["schools"].select("school_id", "county_code"),
                                       on="school_id").filter(pl.col("county_code") == county)
    apps = ds["applications"].filter(pl.col("county_code") == county)
    for label, stage in (("小学一年级", "primary"), ("初中一年级", "junior")):
        assert rows[label] == (plans.filter(pl.col("entry_stage") == stage)["seats"].sum(),
                               apps.filter(pl.col("entry_stage") == stage).height)
