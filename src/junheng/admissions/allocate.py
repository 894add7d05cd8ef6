"""Allocation of one county, year and entry stage, exactly as shared/spec/admissions.md says,
with results that explain themselves.

``allocate`` builds the preference lists and priorities from the exchange tables (vectorised
with Polars), runs round 1 (deferred acceptance) and round 2 (调剂) on arrays
(``mechanism``), and returns an ``Allocation``: typed frames that JSON, Excel and the web page
render without recomputing anything.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from junheng.admissions.mechanism import deferred_acceptance, nearest_free
from junheng.admissions.notary import FrozenList, freeze, lottery_numbers
from junheng.admissions.rules import Precedence, PrecedenceRules, categories, shipped_rules
from junheng.domain.dataset import Dataset

STAGES = ("primary", "junior")
CHOICES = tuple(f"choice_{k}" for k in range(1, 6))
ZONE_RANK = 0  # choice_rank code of a zone school appended after the applicant's choices

# Why a school on an applicant's list did not admit them (codes in the JSON, text for people).
REASONS_ZH = {
    "not_in_county": "该校不在本区县本次招生范围内，志愿无效",
    "no_plan": "该校本学段没有招生计划，志愿无效",
    "not_zone": "公办学校只招收划片范围内的学生，该校不是您居住片区的划片学校，志愿无效",
    "duplicate": "与前面的志愿重复",
    "full": "已招满",
}


class AllocationError(ValueError):
    """The inputs cannot be allocated (e.g. an unknown stage)."""


@dataclass(frozen=True)
class Override:
    """A staff decision that replaces one computed result, part of the published record so the
    replay reproduces it. ``after_round`` 1: made on the round-1 results, before 调剂, so round 2
    sees the seat it takes (and the applicant is no longer a round-2 candidate); 2: made on the
    final results, changing nothing else."""

    application_id: str
    school_id: str
    after_round: int
    reason: str
    by: str
    at: str  # ISO 8601, for the record only

    def to_json(self) -> dict[str, Any]:
        return {"application_id": self.application_id, "school_id": self.school_id,
                "after_round": self.after_round, "reason": self.reason, "by": self.by,
                "at": self.at}

    @classmethod
    def from_json(cls, doc: Any) -> Override:
        """From the ``overrides`` list of a published result (strict: a typo is an error)."""
        keys = {"application_id", "school_id", "after_round", "reason", "by", "at"}
        if not isinstance(doc, dict) or set(doc) != keys:
            raise AllocationError(f"人工调整记录应有字段 / an override has the fields {sorted(keys)}")
        if doc["after_round"] not in (1, 2) or not str(doc["reason"]).strip():
            raise AllocationError("人工调整记录须有轮次(1或2)和理由 / an override needs "
                                  "after_round 1 or 2 and a reason")
        return cls(str(doc["application_id"]), str(doc["school_id"]), int(doc["after_round"]),
                   str(doc["reason"]), str(doc["by"]), str(doc["at"]))


@dataclass(frozen=True)
class Allocation:
    """The outcome of one allocation and everything needed to explain and replay it."""

    county_code: str
    year: int
    stage: str
    seed: str
    list_sha256: str
    precedence: Precedence
    # Whether round 2 (调剂) was run: the staff publish round 1 first, then run round 2.
    round_2: bool
    overrides: tuple[Override, ...]
    # One row per application (canonical order): application_id, lottery_number, category,
    # category_rank, area_id, round, school_id, school_name, choice_rank ("1".."5", "zone"),
    # in_zone, distance_km (round 2), reason_zh, computed_school_id (before any override),
    # override_reason, override_by.
    results: pl.DataFrame
    # One row per school on a list that did not admit the applicant although ranked above the
    # school obtained: application_id, order, school_id, choice_rank, reason, reason_zh.
    why_not: pl.DataFrame
    # One row per school of the county: school_id, school_name, is_private, seats, admitted,
    # admitted_round_1, admitted_round_2, last_category, last_lottery_number (round 1).
    schools: pl.DataFrame

    @property
    def applicants(self) -> int:
        return self.results.height

    def to_json(self) -> dict[str, Any]:
        """The shape of ``junheng admissions allocate --format json`` (spec + explanations)."""
        parsed: dict[str, Any] = json.loads(self.json_text())
        return parsed

    def json_text(self) -> str:
        """The JSON document as text, rendered column-wise by Polars (a 100,000-applicant
        result is ~90 MB; Python's json module takes ~15 s for it). One result per line."""
        head = {
            "county_code": self.county_code, "year": self.year, "stage": self.stage,
            "seed": self.seed, "list_sha256": self.list_sha256, "applicants": self.applicants,
            "precedence": {"order": [list(c) for c in self.precedence.classes],
                           "source": self.precedence.source,
                           "date": self.precedence.date.isoformat(),
                           "county_code": self.precedence.county_code},
            "round_2": self.round_2,
            "overrides": [o.to_json() for o in self.overrides],
        }
        items = (self.why_not.sort("application_id", "order")
                 .select("application_id", _splice(
                     pl.struct("school_id"), _rank_raw(), pl.struct("reason", "reason_zh"))
                         .alias("item"))
                 .group_by("application_id", maintain_order=True)
                 .agg(pl.format("[{}]", pl.col("item").str.join(",")).alias("why_not")))
        rows = (self.results.select("application_id", "lottery_number", "category", "round",
                                    "school_id", "choice_rank", "reason_zh", "in_zone")
                .join(items, on="application_id", how="left", maintain_order="left")
                .select(pl.concat_str([
                    _splice(pl.struct("application_id", "lottery_number", "category", "round",
                                      "school_id"), _rank_raw(),
                            pl.struct("reason_zh", "in_zone")).str.head(-1),
                    pl.lit(',"why_not":'), pl.col("why_not").fill_null("[]"), pl.lit("}")]))
                .to_series().to_list())
        schools = (self.schools.select(pl.struct(
            "school_id", "seats", "admitted", "admitted_round_1", "admitted_round_2",
            "is_private", "last_category", "last_lottery_number").struct.json_encode())
            .to_series().to_list())
        text = json.dumps(head, ensure_ascii=False, indent=1)[:-2]
        return (text + ',\n "results": [\n' + ",\n".join(rows) + '\n ],\n "schools": [\n'
                + ",\n".join(schools) + "\n ]\n}\n")


def _rank_raw() -> pl.Expr:
    """choice_rank as a raw JSON value: a number 1-5, the string "zone", or null."""
    return (pl.when(pl.col("choice_rank").is_null()).then(pl.lit("null"))
            .when(pl.col("choice_rank") == "zone").then(pl.lit('"zone"'))
            .otherwise(pl.col("choice_rank")))


def _splice(before: pl.Expr, rank_raw: pl.Expr, after: pl.Expr) -> pl.Expr:
    """One JSON object: the fields of ``before``, "choice_rank", then those of ``after``."""
    return pl.concat_str([before.struct.json_encode().str.head(-1), pl.lit(',"choice_rank":'),
                          rank_raw, pl.lit(","), after.struct.json_encode().str.slice(1)])


def _rank_json(rank: str | None) -> int | str | None:
    if rank is None or rank == "zone":
        return rank
    return int(rank)


def allocate(ds: Dataset, county_code: str, year: int, stage: str, seed: str,
             rules: PrecedenceRules | None = None, *, round_2: bool = True,
             overrides: tuple[Override, ...] = ()) -> Allocation:
    """Draw the lottery and allocate places for one county, year and entry stage."""
    if stage not in STAGES:
        raise AllocationError(f"入学学段应为 primary 或 junior / stage must be primary or junior: "
                              f"{stage}")
    frozen = freeze(ds.table("applications"), county_code, year, stage)
    return allocate_frozen(ds, frozen, seed, rules, round_2=round_2, overrides=overrides)


class ListChanged(AllocationError):
    """The applications no longer hash to the published list_sha256: the replay is refused."""

    def __init__(self, now_sha256: str, published_sha256: str) -> None:
        super().__init__(f"名单已变动，拒绝复核：现名单 SHA-256 为 {now_sha256}，公布的为 "
                         f"{published_sha256} / the list no longer matches list_sha256")
        self.now_sha256 = now_sha256


def replay(ds: Dataset, county_code: str, year: int, stage: str, seed: str,
           list_sha256: str, rules: PrecedenceRules | None = None, *, round_2: bool = True,
           overrides: tuple[Override, ...] = ()) -> Allocation:
    """The allocation of a published list: refused (``ListChanged``) unless the applications
    in ``ds`` still hash to ``list_sha256``."""
    frozen = freeze(ds.table("applications"), county_code, year, stage)
    if frozen.sha256 != list_sha256:
        raise ListChanged(frozen.sha256, list_sha256)
    return allocate_frozen(ds, frozen, seed, rules, round_2=round_2, overrides=overrides)


def _apply_overrides(overrides: tuple[Override, ...], after_round: int,
                     index: dict[str, int], school_index: dict[str, int],
                     school_of: np.ndarray, round_of: np.ndarray,
                     overridden: np.ndarray) -> None:
    for o in overrides:
        if o.after_round != after_round:
            continue
        if o.application_id not in index:
            raise AllocationError(f"人工调整的申请不在名单中 / override of an application not in "
                                  f"the list: {o.application_id}")
        if o.school_id not in school_index:
            raise AllocationError(f"人工调整的学校不在本区县 / override to a school outside the "
                                  f"county: {o.school_id}")
        a = index[o.application_id]
        school_of[a] = school_index[o.school_id]
        round_of[a] = after_round
        overridden[a] = True


def allocate_frozen(ds: Dataset, frozen: FrozenList, seed: str,
                    rules: PrecedenceRules | None = None, *, round_2: bool = True,
                    overrides: tuple[Override, ...] = ()) -> Allocation:
    """Round 1, the overrides made on it, round 2 (调剂) when ``round_2``, then the overrides
    made on the final results; overrides are applied in the order given (a later one for the
    same application and round wins)."""
    if not round_2 and any(o.after_round == 2 for o in overrides):
        raise AllocationError("第二轮之后的人工调整需要先运行第二轮 / an override after round 2 "
                              "needs round 2")
    county_code, year, stage = frozen.county_code, frozen.year, frozen.stage
    precedence = (rules or shipped_rules()).for_county(county_code, year)
    apps = frozen.frame
    n = apps.height
    ids = apps["application_id"].to_list()
    lottery = lottery_numbers(ids, frozen.sha256, seed)
    ranks = precedence.ranks
    cat_rank = apps["category"].replace_strict(ranks, return_dtype=pl.Int64).to_numpy()
    apps = apps.with_columns(
        pl.int_range(pl.len(), dtype=pl.Int64).alias("app"),
        pl.Series("lottery_number", lottery), pl.Series("category_rank", cat_rank))

    schools = _county_schools(ds, county_code, year, stage)
    s_count = schools.height
    seats = schools["seats"].to_numpy().astype(np.int64)
    zones = _zones(ds, schools, year, stage)  # area_id, school (index), public schools only

    entries, ignored = _preference_entries(apps, schools, zones)
    e_app = entries["app"].to_numpy()
    e_school = entries["school"].to_numpy()
    is_private = schools["is_private"].to_numpy()
    # Public: category class, then lottery; private: lottery only (spec, Allocation 4).
    e_pri = np.where(is_private[e_school], lottery[e_app],
                     cat_rank[e_app] * (n + 1) + lottery[e_app]).astype(np.int64)
    counts = np.bincount(e_app, minlength=n).astype(np.int64)
    end = np.cumsum(counts)
    start = end - counts
    held = deferred_acceptance(start, end, e_school, e_pri, seats)

    placed = held >= 0
    school_of = np.full(n, -1, dtype=np.int64)
    school_of[placed] = e_school[held[placed]]
    round_of = np.where(placed, 1, 0)
    computed_school = school_of.copy()
    overridden = np.zeros(n, dtype=bool)
    index = {a: i for i, a in enumerate(ids)}
    school_index = {s: i for i, s in enumerate(schools["school_id"].to_list())}
    _apply_overrides(overrides, 1, index, school_index, school_of, round_of, overridden)
    in_1 = school_of >= 0
    admitted_1 = np.bincount(school_of[in_1], minlength=s_count).astype(np.int64)

    # Round 2 (调剂): unplaced in (category class, lottery) order; public schools with free seats.
    unplaced = np.nonzero((school_of < 0) & round_2)[0]
    order = unplaced[np.lexsort((lottery[unplaced], cat_rank[unplaced]))]
    areas = _areas(ds)
    area_index = {a: i for i, a in enumerate(areas["area_id"].to_list())}
    app_area = np.asarray([area_index.get(a, -1) for a in apps["area_id"].to_list()],
                          dtype=np.int64)
    area_lat = np.append(areas["latitude"].to_numpy().astype(np.float64), np.nan)
    area_lon = np.append(areas["longitude"].to_numpy().astype(np.float64), np.nan)
    app_area = np.where(app_area < 0, len(area_lat) - 1, app_area)
    # An override may fill a school beyond its plan; that never makes a negative free count.
    free = np.maximum(seats - admitted_1, 0)
    eligible = (~is_private) & (seats > 0)
    s2, d2 = nearest_free(order, app_area, area_lat, area_lon,
                          schools["latitude"].to_numpy().astype(np.float64),
                          schools["longitude"].to_numpy().astype(np.float64), eligible, free)
    distance = np.full(n, np.nan)
    got2 = s2 >= 0
    school_of[order[got2]] = s2[got2]
    round_of[order[got2]] = 2
    distance[order[got2]] = d2[got2]
    computed_school[order[got2]] = s2[got2]
    _apply_overrides(overrides, 2, index, school_index, school_of, round_of, overridden)
    distance[overridden] = np.nan
    admitted_1 = np.bincount(school_of[round_of == 1], minlength=s_count).astype(np.int64)
    admitted_2 = np.bincount(school_of[round_of == 2], minlength=s_count).astype(np.int64)

    # The last admitted of round 1 at each school: the worst priority it kept.
    held_entries = held[placed]
    worst = np.full(s_count, -1, dtype=np.int64)
    if held_entries.size:
        np.maximum.at(worst, e_school[held_entries], e_pri[held_entries])
    last_app = np.full(s_count, -1, dtype=np.int64)
    if held_entries.size:
        key_to_app = {(int(e_school[e]), int(e_pri[e])): int(e_app[e]) for e in held_entries}
        for s in np.nonzero(worst >= 0)[0]:
            last_app[s] = key_to_app[(int(s), int(worst[s]))]
    cats = apps["category"].to_list()
    school_table = schools.with_columns(
        pl.Series("admitted", admitted_1 + admitted_2),
        pl.Series("admitted_round_1", admitted_1), pl.Series("admitted_round_2", admitted_2),
        pl.Series("last_category", [cats[a] if a >= 0 else None for a in last_app],
                  dtype=pl.Utf8),
        pl.Series("last_category_rank", [int(cat_rank[a]) if a >= 0 else None for a in last_app],
                  dtype=pl.Int64),
        pl.Series("last_lottery_number", [int(lottery[a]) if a >= 0 else None for a in last_app],
                  dtype=pl.Int64),
    )

    obtained_pos = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    obtained_pos[placed] = held[placed] - start[placed]
    last_override = {o.application_id: o for o in overrides}
    results, why_not = _explain(apps, entries, ignored, school_table, zones, school_of,
                                round_of, held, start, distance, obtained_pos, precedence,
                                round_2, computed_school, overridden, last_override)
    return Allocation(county_code, year, stage, seed, frozen.sha256, precedence, round_2,
                      tuple(overrides), results, why_not, school_table.select(
                          "school_id", "school_name", "is_private", "seats", "admitted",
                          "admitted_round_1", "admitted_round_2", "last_category",
                          "last_category_rank", "last_lottery_number"))


def _county_schools(ds: Dataset, county_code: str, year: int, stage: str) -> pl.DataFrame:
    """Every school of the county (school_id order, index = position) with its seats."""
    plans = (ds.table("admission_plans")
             .filter((pl.col("year") == year) & (pl.col("entry_stage") == stage))
             .group_by("school_id").agg(pl.col("seats").sum()))
    return (ds.table("schools").filter(pl.col("county_code") == county_code)
            .select("school_id", "school_name", "ownership", "latitude", "longitude")
            .sort("school_id")
            .join(plans, on="school_id", how="left")
            .with_columns(pl.col("seats").fill_null(0).cast(pl.Int64),
                          (pl.col("ownership") == "private").alias("is_private"),
                          pl.int_range(pl.len(), dtype=pl.Int64).alias("school")))


def _zones(ds: Dataset, schools: pl.DataFrame, year: int, stage: str) -> pl.DataFrame:
    public = schools.filter(~pl.col("is_private")).select("school_id", "school")
    return (ds.table("area_assignments")
            .filter((pl.col("year") == year) & (pl.col("stage") == stage))
            .select("area_id", "school_id").unique()
            .join(public, on="school_id", how="inner")
            .select("area_id", "school"))


def _areas(ds: Dataset) -> pl.DataFrame:
    return ds.table("areas").select("area_id", "latitude", "longitude")


def _preference_entries(apps: pl.DataFrame, schools: pl.DataFrame,
                        zones: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(entries, ignored): the preference list of every applicant, flat and sorted by
    (app, position); and the choices a school would not accept, with the reason."""
    long = (apps.select("app", "area_id", *CHOICES)
            .unpivot(index=["app", "area_id"], on=list(CHOICES), variable_name="col",
                     value_name="school_id")
            .filter(pl.col("school_id").is_not_null())
            .with_columns(pl.col("col").str.slice(7).cast(pl.Int64).alias("rank"))
            .sort("app", "rank"))
    long = long.with_columns(pl.struct("app", "school_id").is_first_distinct().alias("first"))
    long = long.join(schools.select("school_id", "school", "seats", "is_private"),
                     on="school_id", how="left")
    zone_key = zones.with_columns(pl.lit(True).alias("is_zone"))
    long = long.join(zone_key, on=["area_id", "school"], how="left").with_columns(
        pl.col("is_zone").fill_null(False))
    reason = (pl.when(~pl.col("first")).then(pl.lit("duplicate"))
              .when(pl.col("school").is_null()).then(pl.lit("not_in_county"))
              .when(pl.col("seats") <= 0).then(pl.lit("no_plan"))
              .when(~pl.col("is_private") & ~pl.col("is_zone")).then(pl.lit("not_zone"))
              .otherwise(pl.lit(None, dtype=pl.Utf8)))
    long = long.with_columns(reason.alias("reason"))
    ignored = long.filter(pl.col("reason").is_not_null()).select(
        "app", "rank", "school_id", "reason")
    listed = long.filter(pl.col("reason").is_null()).select("app", "school", "rank")
    # Each zone school not already listed, in school_id order (= school index order).
    extra = (apps.select("app", "area_id")
             .join(zones.join(schools.select("school", "seats"), on="school")
                   .filter(pl.col("seats") > 0).select("area_id", "school"),
                   on="area_id", how="inner")
             .join(listed.select("app", "school"), on=["app", "school"], how="anti")
             .with_columns(pl.lit(ZONE_RANK, dtype=pl.Int64).alias("rank"))
             .select("app", "school", "rank"))
    listed = listed.with_columns(pl.col("rank").alias("sort_key"))
    extra = extra.with_columns((pl.col("school") + 10).alias("sort_key"))
    entries = (pl.concat([listed, extra]).sort("app", "sort_key")
               .select("app", "school", "rank"))
    return entries, ignored


def _explain(apps: pl.DataFrame, entries: pl.DataFrame, ignored: pl.DataFrame,
             schools: pl.DataFrame, zones: pl.DataFrame, school_of: np.ndarray,
             round_of: np.ndarray, held: np.ndarray, start: np.ndarray,
             distance: np.ndarray, obtained_pos: np.ndarray,
             precedence: Precedence, round_2: bool, computed_school: np.ndarray,
             overridden: np.ndarray, last_override: dict[str, Override],
             ) -> tuple[pl.DataFrame, pl.DataFrame]:
    labels = categories()
    class_label = {c: "、".join(labels[m] for m in members)
                   for members in precedence.classes for c in members}
    names = schools.select("school", "school_id", "school_name", "is_private", "seats",
                           "last_category", "last_category_rank", "last_lottery_number")
    n = apps.height
    held_rank = np.full(n, -1, dtype=np.int64)
    e_rank = entries["rank"].to_numpy()
    placed1 = held >= 0
    held_rank[placed1] = e_rank[held[placed1]]
    zone_pairs = zones.with_columns(pl.lit(True).alias("in_zone"))
    ids = apps["application_id"].to_list()
    # Only overridden applicants get these (a Python loop over the few overrides, not all).
    o_reason: list[str | None] = [None] * n
    o_by: list[str | None] = [None] * n
    for a in np.nonzero(overridden)[0].tolist():
        o_reason[a] = last_override[ids[a]].reason
        o_by[a] = last_override[ids[a]].by
    computed = (pl.Series("computed", computed_school).replace(-1, None).to_frame()
                .join(names.select("school", "school_id", "school_name"), left_on="computed",
                      right_on="school", how="left", maintain_order="left"))
    res = (apps.select("app", "application_id", "lottery_number", "category", "category_rank",
                       "area_id")
           .with_columns(pl.Series("school", school_of).replace(-1, None),
                         pl.Series("round", round_of).replace(0, None).cast(pl.Int64),
                         pl.Series("held_rank", held_rank),
                         pl.Series("distance_km", distance),
                         pl.Series("overridden", overridden),
                         computed["school_id"].alias("computed_school_id"),
                         computed["school_name"].fill_null("未录取").alias("computed_name"),
                         pl.Series("override_reason", o_reason, dtype=pl.Utf8),
                         pl.Series("override_by", o_by, dtype=pl.Utf8))
           .join(names.select("school", "school_id", "school_name", "is_private"),
                 on="school", how="left")
           .join(zone_pairs, on=["area_id", "school"], how="left")
           .with_columns(pl.col("in_zone").fill_null(False))
           .sort("app"))
    choice_rank = (pl.when((pl.col("round").fill_null(0) != 1) | pl.col("overridden"))
                   .then(pl.lit(None, dtype=pl.Utf8))
                   .when(pl.col("held_rank") == ZONE_RANK).then(pl.lit("zone"))
                   .otherwise(pl.col("held_rank").cast(pl.Utf8)))
    kind = (pl.when(pl.col("is_private")).then(pl.lit("（民办学校）"))
            .when(pl.col("in_zone")).then(pl.lit("（划片学校）"))
            .otherwise(pl.lit("")))
    unplaced_zh = (pl.lit("未录取：全县本学段公办学校已无空余学位，请联系区县教育局安排") if round_2
                   else pl.lit("第一轮未录取：将参加第二轮调剂（按类别优先顺序和摇号号码，"
                               "安排到距居住片区最近、仍有空余学位的公办学校）"))
    reason = (
        pl.when(pl.col("overridden")).then(
            pl.format("人工调整录取：{}（按规则计算的结果为：{}）。理由：{}（经办人：{}）",
                      pl.col("school_name"), pl.col("computed_name"),
                      pl.col("override_reason"), pl.col("override_by")))
        .when(pl.col("round") == 1).then(
            pl.when(pl.col("held_rank") == ZONE_RANK).then(
                pl.format("第一轮录取：{}（划片学校，志愿未能录取，按划片安排）",
                          pl.col("school_name")))
            .otherwise(pl.format("第一轮录取：第{}志愿 {}{}", pl.col("held_rank"),
                                 pl.col("school_name"), kind)))
        .when((pl.col("round") == 2) & pl.col("distance_km").is_finite()).then(
            pl.format("第二轮调剂录取：{}，为距居住片区最近、仍有空余学位的公办学校（约{}公里）",
                      pl.col("school_name"),
                      pl.col("distance_km").round(1).cast(pl.Utf8)))
        # A school or area without coordinates has no distance: ranked after those with
        # one (by school code), and the reason says so instead of "约inf公里".
        .when(pl.col("round") == 2).then(
            pl.format("第二轮调剂录取：{}，为仍有空余学位的公办学校（学校或居住片区未登记位置，"
                      "无法计算距离，排在有距离的学校之后）", pl.col("school_name")))
        .otherwise(unplaced_zh))
    results = res.with_columns(choice_rank.alias("choice_rank"), reason.alias("reason_zh"))

    # Why not each better school: every entry before the one held (all, if unplaced in round 1).
    e_app = entries["app"].to_numpy()
    pos = np.arange(entries.height, dtype=np.int64) - start[e_app]
    better = (entries.with_columns(pl.Series("pos", pos))
              .filter(pl.Series(pos < obtained_pos[e_app]))
              .join(names, on="school", how="left")
              .join(apps.select("app", "category_rank", "lottery_number", "category"), on="app"))
    mine_class = pl.col("category").replace_strict(class_label, return_dtype=pl.Utf8)
    last_class = pl.col("last_category").replace_strict(class_label, default="",
                                                        return_dtype=pl.Utf8)
    full_zh = (
        pl.when(pl.col("is_private")).then(pl.format(
            "民办学校报名超过计划，按摇号号码录取：已招满（计划{}人），末位录取者摇号号码{}，"
            "您的号码{}在其后", pl.col("seats"), pl.col("last_lottery_number"),
            pl.col("lottery_number")))
        .when(pl.col("category_rank") > pl.col("last_category_rank")).then(pl.format(
            "已招满（计划{}人），末位录取者类别为“{}”（摇号号码{}）；您的类别“{}”优先顺序在其后",
            pl.col("seats"), last_class, pl.col("last_lottery_number"), mine_class))
        .otherwise(pl.format(
            "已招满（计划{}人），末位录取者与您同一优先顺序（类别“{}”），摇号号码{}；"
            "您的号码{}在其后", pl.col("seats"), last_class, pl.col("last_lottery_number"),
            pl.col("lottery_number"))))
    better = better.select(
        "app", pl.col("pos").alias("order"), "school_id",
        pl.when(pl.col("rank") == ZONE_RANK).then(pl.lit("zone"))
        .otherwise(pl.col("rank").cast(pl.Utf8)).alias("choice_rank"),
        pl.lit("full").alias("reason"), full_zh.alias("reason_zh"))
    # Ignored choices are explained too (they come before everything obtained in list order);
    # they are shown by choice rank, after the schools that were full.
    skip = ignored.select(
        "app", (pl.col("rank") + 100).alias("order"), "school_id",
        pl.col("rank").cast(pl.Utf8).alias("choice_rank"), "reason",
        pl.col("reason").replace_strict(REASONS_ZH, return_dtype=pl.Utf8).alias("reason_zh"))
    why = (pl.concat([better, skip])
           .join(apps.select("app", "application_id"), on="app")
           .sort("app", "order")
           .select("application_id", "order", "school_id", "choice_rank", "reason",
                   "reason_zh"))
    results = results.select(
        "application_id", "lottery_number", "category", "category_rank", "area_id", "round",
        "school_id", "school_name", "choice_rank", "in_zone", "distance_km", "reason_zh",
        "computed_school_id", "override_reason", "override_by")
    return results, why
