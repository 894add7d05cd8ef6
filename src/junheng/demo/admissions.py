"""Demo tables for admissions (阳光招生, shared/spec/admissions.md): the admission plans and the
applications of the entry year after the demo's last school year, and the zones in force for
that year — so that ``junheng admissions allocate`` / ``verify`` and the admissions section of
``junheng report county`` have something to work on.

Everything is SYNTHETIC. Like the supervision step, this one draws from its own random generator
after every other table is built. It adds the tables ``admission_plans`` and ``applications``,
and ``area_assignments`` rows of the entry year only (a year without sections, which evaluate,
plan, zones and forecast of the demo's years never read), so their outputs are exactly what
they were without it.

Who applies: the children of each area aged 5 (primary, grade 1) and 11 (junior, grade 7) in
the last school year — the demo's own cohort model of next year's entrants, less the ~1.5 %
who go to school outside the county (per county and grade within the 80 % interval of
``junheng forecast`` for the entry year). Seats: each school that taught the stage in the last
year offers its approved seats (capacity, else classes × 45/50, as the zoning planner counts
them) divided by the grades of the stage. Zones: those in force in the last year, carried over.

The stories (docs/demo-data.md), entry year = last school year + 1:
- 甘州 620702: the city's crowded schools get fewer seats than their zones have children, so
  many are placed in round 2 (调剂) at the nearest school with free seats, and junior seats
  fall short district-wide: some children stay unplaced (with the reason). Its private primary
  school (the one with most seats) is asked for by 1.8 × its seats: a computer lottery decides
  (公民同招: the private school ranks by lottery number only). Some families also list the
  other private school second.
- 多校划片 in 甘州: the city community with the most entrants, and every city community zoned
  to the same primary school, get a zone of two schools (that school and the next nearest).
- 随迁子女: 18 % of the city's and town's applicants, 8 % elsewhere, verified by a 居住证 in the
  area (their 身份证号 from their home county elsewhere in Gansu or Ningxia).
- 优抚对象子女: about 1.5 % in 甘州's city and towns, 1 % elsewhere — first at their zone school.
- Claims and verification: about 4 % of families claiming 户籍与房产均在片区 are verified as
  户籍 or 房产 only, and a few claiming 优抚对象 are not (the exchange table carries the verified
  category; the portal keeps both).
- Some families list a public school outside their zone (ignored: 公办学校只招收划片范围内的
  学生), some list no school at all (they get their zone schools).
- 肃南 620721 (the partner county) has not reported its admission plans and applications
  (未报送 in its county report), nor its zones for the entry year.

Each application also has a child (``DemoAdmissions.applicants``): a name from the demo's name
generator, a 身份证号 with a correct check character and a birth date of the entry age (6 on
31 August for grade 1, 12 for grade 7), the category claimed and verified, housing and
whether the family holds a 居住证. That is the portal's personal data: it is not an exchange
table and is not written into the demo workbook.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import polars as pl

from junheng.demo.aid_finance import resident_ids, synthetic_names
from junheng.domain.dataset import Dataset
from junheng.domain.geo import haversine

SUNAN = "620721"
SILENT = SUNAN  # no admission plans, applications or entry-year zones
CITY = "620702"  # 甘州: the lottery and the 多校划片 zone
STAGES = ("primary", "junior")
STAGE_LETTER = {"primary": "P", "junior": "J"}
# Children of this age in the last school year enter grade 1 / grade 7 the year after.
AGE_BEFORE_ENTRY = {"primary": 5, "junior": 11}
GRADES = {"primary": 6, "junior": 3}
CLASS_SIZE = {"primary": 45, "junior": 50}
STAYING = 0.985  # ~1.5 % school outside the county (cohorts: children_elsewhere)
# Demand for private schools, as a multiple of their seats: the lottery school is oversubscribed.
LOTTERY_DEMAND, PRIVATE_DEMAND = 1.8, 0.6
ALSO_OTHER_PRIVATE = 0.3  # lottery-school applicants who also list the county's other private
NOT_ZONE_SHARE = 0.06  # list a public school outside their zone first
NO_CHOICE_SHARE = 0.10  # list nothing: the zone schools are their list
CATEGORIES = ("preferential", "hukou_house", "house", "hukou", "migrant", "other")
# Verified category shares: 甘州's city and towns, and everywhere else.
SHARES_CITY = (0.015, 0.50, 0.12, 0.10, 0.18, 0.085)
SHARES_OTHER = (0.01, 0.65, 0.08, 0.12, 0.08, 0.06)
OVERCLAIM = 0.04  # 户籍 or 房产 only, claimed as both
PREFERENTIAL_OVERCLAIM = 0.005  # 户籍与房产, claimed as 优抚对象 without the proof
# Home counties of 随迁子女 (their 身份证号 and 户籍所在地): elsewhere in Gansu, and Ningxia.
MIGRANT_ORIGINS = ("620102", "620402", "620502", "622921", "640104")
ORIGIN_NAMES = {"620102": "甘肃省兰州市城关区", "620402": "甘肃省白银市白银区",
                "620502": "甘肃省天水市秦州区", "622921": "甘肃省临夏回族自治州临夏市",
                "640104": "宁夏回族自治区银川市兴庆区"}
PROVINCE = "甘肃省"  # the demo's counties (their prefecture and name: the counties table)
HOUSING = {"preferential": "own", "hukou_house": "own", "house": "own", "hukou": "other",
           "migrant": "rent", "other": "rent"}
_EARTH_M = 6_371_000.0


@dataclass(frozen=True)
class DemoAdmissions:
    admission_plans: pl.DataFrame  # exchange table
    applications: pl.DataFrame  # exchange table (pseudonymous)
    zones: pl.DataFrame  # area_assignments rows of the entry year
    # The portal's personal data of each application (not an exchange table): application_id,
    # child_name, resident_id, birth_date, hukou (户籍所在地: the county of the 身份证号, the
    # household's own, or a 随迁子女's home county), housing, has_residence_permit,
    # category_claimed, category_verified.
    applicants: pl.DataFrame
    lottery_school_id: str  # the oversubscribed private primary school of 甘州
    multi_school_areas: tuple[str, ...]  # the 多校划片 areas (primary)


def admission_tables(seed: int, schools: pl.DataFrame, sections: pl.DataFrame,
                     areas: pl.DataFrame, area_children: pl.DataFrame,
                     zones: pl.DataFrame, last: int, counties: pl.DataFrame) -> DemoAdmissions:
    """Plans, applications and entry-year zones for entry year ``last + 1``; ``counties``
    (the counties table) names each child's 户籍所在地."""
    rng = np.random.default_rng([seed, 20250612])
    entry = last + 1
    plans = _plans(schools, sections, last, entry)
    entry_zones, multi = _entry_zones(zones, areas, schools, area_children, plans, last, entry)
    kids = _entrants(rng, areas, area_children, last)
    cats = _categories(rng, kids)
    kids = kids.with_columns(pl.Series("category", cats))
    choices, lottery_school = _choices(rng, kids, schools, plans, entry_zones)
    apps, people = _applications(rng, kids, choices, entry, _hukou_names(counties))
    return DemoAdmissions(plans, apps, entry_zones, people, lottery_school, multi)


def _plans(schools: pl.DataFrame, sections: pl.DataFrame, last: int,
           entry: int) -> pl.DataFrame:
    """Seats of the entry grade: approved seats of the stage over its grades."""
    sec = (sections.filter((pl.col("year") == last) & pl.col("stage").is_in(STAGES)
                           & (pl.col("students") > 0))
           .join(schools.select("school_id", "county_code"), on="school_id")
           .filter(pl.col("county_code") != SILENT))
    size = pl.col("stage").replace_strict(CLASS_SIZE, return_dtype=pl.Int64)
    grades = pl.col("stage").replace_strict(GRADES, return_dtype=pl.Int64)
    approved = pl.coalesce(pl.col("capacity"), pl.col("classes") * size)
    return sec.select(
        pl.lit(entry, pl.Int64).alias("year"), "school_id",
        pl.col("stage").alias("entry_stage"),
        (approved / grades).ceil().cast(pl.Int64).alias("seats"),
    ).sort("school_id", "entry_stage")


def _entry_zones(zones: pl.DataFrame, areas: pl.DataFrame, schools: pl.DataFrame,
                 children: pl.DataFrame, plans: pl.DataFrame, last: int,
                 entry: int) -> tuple[pl.DataFrame, tuple[str, ...]]:
    """Last year's zones carried over, with one 多校划片 zone of two primary schools in the
    city: the busiest city community's school and the next nearest public primary school."""
    carried = (zones.filter(pl.col("year") == last)
               .join(areas.select("area_id", "county_code"), on="area_id")
               .filter(pl.col("county_code") != SILENT)
               .select(pl.lit(entry, pl.Int64).alias("year"), "area_id", "stage", "school_id"))
    city_areas = areas.filter((pl.col("county_code") == CITY) & (pl.col("locale") == "urban"))
    busiest = (children.filter((pl.col("year") == last)
                               & (pl.col("age") == AGE_BEFORE_ENTRY["primary"]))
               .join(city_areas.select("area_id"), on="area_id")
               .sort("children", "area_id", descending=[True, False]))
    if busiest.height == 0:
        return carried.sort("year", "area_id", "stage", "school_id"), ()
    centre = busiest["area_id"][0]
    primary = carried.filter(pl.col("stage") == "primary")
    first = primary.filter(pl.col("area_id") == centre)["school_id"][0]
    at = city_areas.filter(pl.col("area_id") == centre)
    offered = (plans.filter(pl.col("entry_stage") == "primary")
               .join(schools.filter((pl.col("ownership") == "public")
                                    & (pl.col("county_code") == CITY)),
                     on="school_id")
               .filter(pl.col("school_id") != first))
    d = haversine(offered["latitude"].to_numpy(), offered["longitude"].to_numpy(),
                  at["latitude"][0], at["longitude"][0], radius=_EARTH_M)
    second = offered.with_columns(pl.Series("d", d)).sort("d", "school_id")["school_id"][0]
    multi = (primary.filter(pl.col("school_id").is_in([first, second]))
             .join(city_areas.select("area_id"), on="area_id")["area_id"].sort().to_list())
    both = pl.DataFrame({"area_id": multi}).join(
        pl.DataFrame({"school_id": [first, second]}), how="cross").select(
        pl.lit(entry, pl.Int64).alias("year"), "area_id", pl.lit("primary").alias("stage"),
        "school_id")
    out = pl.concat([carried.filter(~((pl.col("stage") == "primary")
                                      & pl.col("area_id").is_in(multi))), both])
    return out.sort("year", "area_id", "stage", "school_id"), tuple(multi)


def _entrants(rng: np.random.Generator, areas: pl.DataFrame, children: pl.DataFrame,
              last: int) -> pl.DataFrame:
    """One row per applicant: county_code, stage, area_id, urban (city or town area)."""
    ages = {v: k for k, v in AGE_BEFORE_ENTRY.items()}
    rows = (children.filter((pl.col("year") == last) & pl.col("age").is_in(list(ages)))
            .join(areas.select("area_id", "county_code", "locale"), on="area_id")
            .filter(pl.col("county_code") != SILENT)
            .with_columns(pl.col("age").replace_strict(ages, return_dtype=pl.Utf8)
                          .alias("stage"))
            .sort("county_code", "stage", "area_id"))
    n = rng.binomial(rows["children"].to_numpy(), STAYING)
    return (rows.with_columns(pl.Series("n", n, dtype=pl.Int64))
            .select("county_code", "stage", "area_id",
                    (pl.col("locale") != "rural").alias("urban"),
                    pl.int_ranges(0, pl.col("n")).alias("k"))
            .explode("k").drop_nulls("k").drop("k"))


def _categories(rng: np.random.Generator, kids: pl.DataFrame) -> list[str]:
    city = ((kids["county_code"] == CITY) & kids["urban"]).to_numpy()
    u = rng.random(kids.height)
    idx = np.where(city, np.searchsorted(np.cumsum(SHARES_CITY), u * sum(SHARES_CITY)),
                   np.searchsorted(np.cumsum(SHARES_OTHER), u * sum(SHARES_OTHER)))
    return [CATEGORIES[min(i, len(CATEGORIES) - 1)] for i in idx]


def _choices(rng: np.random.Generator, kids: pl.DataFrame, schools: pl.DataFrame,
             plans: pl.DataFrame, zones: pl.DataFrame) -> tuple[list[list[str]], str]:
    """Each applicant's list (at most 5 distinct schools), and the lottery school."""
    n = kids.height
    info = plans.join(schools.select("school_id", "county_code", "ownership", "school_type"),
                      on="school_id")
    zone_of: dict[tuple[str, str], list[str]] = {}
    for area, stage, school in zones.sort("area_id", "stage", "school_id").select(
            "area_id", "stage", "school_id").iter_rows():
        zone_of.setdefault((area, stage), []).append(school)
    county = kids["county_code"].to_list()
    stage = kids["stage"].to_list()
    area = kids["area_id"].to_list()
    urban = kids["urban"].to_numpy()
    lists: list[list[str]] = []
    for i in range(n):
        zone = list(zone_of.get((area[i], stage[i]), []))
        if len(zone) > 1:
            zone = [zone[j] for j in rng.permutation(len(zone))]
        lists.append(zone)
    private_front: list[list[str]] = [[] for _ in range(n)]
    lottery_school = ""
    groups: dict[tuple[str, str], list[int]] = {}
    for i in range(n):
        groups.setdefault((county[i], stage[i]), []).append(i)
    for (cc, st), members in sorted(groups.items()):
        idx = np.asarray(members)
        privates = (info.filter((pl.col("county_code") == cc) & (pl.col("entry_stage") == st)
                                & (pl.col("ownership") == "private"))
                    .sort("seats", "school_id", descending=[True, False]))
        taken = np.zeros(n, dtype=bool)
        for sid, seats, stype in privates.select("school_id", "seats",
                                                 "school_type").iter_rows():
            lottery = cc == CITY and st == "primary" and stype == "primary" and not lottery_school
            demand = int(round((LOTTERY_DEMAND if lottery else PRIVATE_DEMAND) * seats))
            free = idx[~taken[idx]]
            weight = np.where(urban[free], 1.0, 0.3)
            pick = rng.choice(free, size=min(demand, free.size), replace=False,
                              p=weight / weight.sum()) if free.size else free
            taken[pick] = True
            for i in pick:
                private_front[i].append(sid)
            if lottery:
                lottery_school = sid
                others = [s for s in privates["school_id"].to_list() if s != sid]
                if others:
                    also = pick[rng.random(pick.size) < ALSO_OTHER_PRIVATE]
                    for i in also:
                        private_front[i].append(others[0])
        # A popular public school outside one's zone: the county's one with most seats.
        public = info.filter((pl.col("county_code") == cc) & (pl.col("entry_stage") == st)
                             & (pl.col("ownership") == "public")).sort(
            "seats", "school_id", descending=[True, False])["school_id"].to_list()
        u = rng.random(idx.size)
        for i, x in zip(idx, u, strict=True):
            if private_front[i]:
                continue
            if x < NOT_ZONE_SHARE:
                outside = [s for s in public if s not in lists[i]]
                if outside:
                    private_front[i].append(outside[0])
            elif x < NOT_ZONE_SHARE + NO_CHOICE_SHARE:
                lists[i] = []
    return [(f + [s for s in z if s not in f])[:5] for f, z in
            zip(private_front, lists, strict=True)], lottery_school


def _hukou_names(counties: pl.DataFrame) -> dict[str, str]:
    """County code → 户籍所在地 as a family writes it (province, prefecture, county)."""
    return {**{c: f"{PROVINCE}{p}{n}" for c, p, n in counties.select(
        "county_code", "prefecture_name", "county_name").iter_rows()}, **ORIGIN_NAMES}


def _applications(rng: np.random.Generator, kids: pl.DataFrame, choices: list[list[str]],
                  entry: int, hukou: dict[str, str]) -> tuple[pl.DataFrame, pl.DataFrame]:
    n = kids.height
    stage = kids["stage"].to_numpy()
    # Pseudonymous ids, numbered at random within county and stage.
    order = rng.permutation(n)
    serial = (pl.DataFrame({"county_code": kids["county_code"], "stage": kids["stage"],
                            "o": order})
              .select(pl.col("o").rank("ordinal").over("county_code", "stage"))["o"]
              .to_numpy())
    app_ids = [f"{entry}{c}{STAGE_LETTER[s]}{k:05d}" for c, s, k in zip(
        kids["county_code"].to_list(), kids["stage"].to_list(), serial, strict=True)]
    # Born in the twelve months up to 31 August of the year the child turns the entry age.
    start = {a: dt.date(entry - a - 1, 9, 1) for a in (6, 12)}
    entry_age = np.where(stage == "primary", 6, 12)
    days = rng.integers(0, 365, n)
    births = [start[int(a)] + dt.timedelta(days=int(d))
              for a, d in zip(entry_age, days, strict=True)]
    birth_dates = pl.Series("b", births, dtype=pl.Date)
    category = kids["category"].to_numpy()
    migrant = category == "migrant"
    home = np.where(migrant, rng.choice(MIGRANT_ORIGINS, n), kids["county_code"].to_numpy())
    # Serials unique per (home county, birth date): no two children share a number.
    within = (pl.DataFrame({"h": home, "b": birth_dates})
              .select(pl.int_range(pl.len()).over("h", "b").alias("k"))["k"].to_numpy())
    if within.max(initial=0) >= 142:
        raise ValueError("too many children born on one day in one county for the serials")
    rids = resident_ids(home, np.array(births), within * 7 + rng.integers(0, 7, n))
    names = synthetic_names(rng, n)
    u = rng.random(n)
    claimed = np.where(np.isin(category, ["house", "hukou"]) & (u < OVERCLAIM), "hukou_house",
                       np.where((category == "hukou_house") & (u < PREFERENTIAL_OVERCLAIM),
                                "preferential", category))
    base = dt.datetime(entry, 6, 20, 8, 0, 0)
    submitted = [base + dt.timedelta(seconds=int(s))
                 for s in rng.integers(0, 15 * 86400, n)]
    padded = [c + [None] * (5 - len(c)) for c in choices]
    apps = pl.DataFrame({
        "year": [entry] * n, "application_id": app_ids, "county_code": kids["county_code"],
        "entry_stage": kids["stage"], "area_id": kids["area_id"], "category": category,
        **{f"choice_{k + 1}": pl.Series([p[k] for p in padded], dtype=pl.Utf8)
           for k in range(5)},
        "submitted_at": pl.Series(submitted, dtype=pl.Datetime("us")),
    }, schema_overrides={"year": pl.Int64}).sort("application_id")
    people = pl.DataFrame({
        "application_id": app_ids, "child_name": names, "resident_id": rids,
        "birth_date": birth_dates, "hukou": [hukou.get(str(h), "") for h in home],
        "housing": [HOUSING[c] for c in category], "has_residence_permit": migrant,
        "category_claimed": claimed, "category_verified": category,
    }).sort("application_id")
    return apps, people


def from_dataset(ds: Dataset, seed: int) -> DemoAdmissions:
    """The admissions step again from a generated demo dataset (the same ``seed``): the same
    tables, and the children of the applications, which the dataset does not carry."""
    last = int(ds["admission_plans"]["year"].min()) - 1  # type: ignore[arg-type]
    zones = ds["area_assignments"].filter(pl.col("year") <= last)
    return admission_tables(seed, ds["schools"], ds["sections"], ds["areas"],
                            ds["area_children"], zones, last, ds["counties"])
