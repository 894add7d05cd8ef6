"""The allocation's reasons in English: why each child was placed where (round 1 by choice or
zone, round 2 by distance, a staff override) or not placed, and why each better choice was not
obtained (full — by priority category or lottery number —, not a zone school, no plan …).

:mod:`junheng.admissions.allocate` writes the Chinese reasons the publication has always had
(``reason_zh``); every number and name they quote is a column of the allocation's frames
(the result's round, school, choice, distance and override; the school's seats and last
admitted category and lottery number; the applicant's own), so the English is said here from
those columns, vectorised like the Chinese, for the English pages and workbook.
"""

from __future__ import annotations

import polars as pl

from junheng.admissions.allocate import Allocation
from junheng.admissions.rules import Precedence, categories

# Why a school on an applicant's list did not admit them (allocate.REASONS_ZH, by code).
REASONS_EN = {
    "not_in_county": "the school is not among this county's schools in this admission; choice void",
    "no_plan": "the school has no admission plan for this stage; choice void",
    "not_zone": "a public school admits only children of its zone, and this is not the zone "
                "school of your home area; choice void",
    "duplicate": "the same as an earlier choice",
    "full": "full",
}


# Who made an override, as the publication names them: the office (web/services/admissions.py
# OFFICES), never a person; anything else (a name in an older record) is kept as written.
OFFICES_EN = {"市教育局": "the city education bureau", "区县教育局": "the county education bureau"}


def by_words(by: str, lang: str) -> str:
    return OFFICES_EN.get(by, by) if lang == "en" else by


def category_words(lang: str) -> dict[str, str]:
    """admission_category code -> label in ``lang`` (the field registry's)."""
    words = categories()
    if lang == "en":
        from junheng.domain.fields import registry

        words = {**words, **registry().enums_en.get("admission_category", {})}
    return words


def _class_words(precedence: Precedence) -> dict[str, str]:
    """A category -> the English words of its priority class (the categories ranked equal)."""
    words = category_words("en")
    return {c: " / ".join(words[m] for m in members)
            for members in precedence.classes for c in members}


def result_reasons(alloc: Allocation, lang: str) -> pl.Series:
    """Each result's reason in ``lang``, in the order of ``alloc.results``."""
    if lang == "zh":
        return alloc.results["reason_zh"]
    names = alloc.schools.select("school_id", "school_name", "is_private")
    res = (alloc.results.select("school_id", "round", "choice_rank", "in_zone", "distance_km",
                                "computed_school_id", "override_reason", "override_by")
           .join(names, on="school_id", how="left", maintain_order="left")
           .join(names.select(pl.col("school_id").alias("computed_school_id"),
                              pl.col("school_name").alias("computed_name")),
                 on="computed_school_id", how="left", maintain_order="left")
           .with_columns(pl.col("computed_name").fill_null("not placed"),
                         pl.col("override_by").replace(OFFICES_EN)))
    return _results_en(res, alloc.round_2)


def _results_en(res: pl.DataFrame, round_2: bool) -> pl.Series:
    kind = (pl.when(pl.col("is_private")).then(pl.lit(" (private school)"))
            .when(pl.col("in_zone")).then(pl.lit(" (zone school)"))
            .otherwise(pl.lit("")))
    unplaced = (pl.lit("Not placed: no public school of the county has seats left at this stage; "
                       "please contact the county education bureau") if round_2
                else pl.lit("Not placed in round 1: takes part in round 2 (in order of priority "
                            "category and lottery number, to the public school nearest the home "
                            "area with seats left)"))
    reason = (
        pl.when(pl.col("override_reason").is_not_null()).then(
            pl.format("Placed by the admissions staff: {} (the rules gave: {}). Reason: {} "
                      "(by {})", pl.col("school_name"), pl.col("computed_name"),
                      pl.col("override_reason"), pl.col("override_by")))
        .when((pl.col("round") == 1) & (pl.col("choice_rank") == "zone")).then(
            pl.format("Round 1: {} (the zone school; no choice was obtained, placed by zone)",
                      pl.col("school_name")))
        .when(pl.col("round") == 1).then(
            pl.format("Round 1: choice {}, {}{}", pl.col("choice_rank"), pl.col("school_name"),
                      kind))
        .when((pl.col("round") == 2) & pl.col("distance_km").is_finite()).then(
            pl.format("Round 2: {}, the public school nearest the home area with seats left "
                      "(about {} km)", pl.col("school_name"),
                      pl.col("distance_km").round(1).cast(pl.Utf8)))
        .when(pl.col("round") == 2).then(
            pl.format("Round 2: {}, a public school with seats left (the school or the home "
                      "area has no location on record, so no distance: placed after the schools "
                      "with one)", pl.col("school_name")))
        .otherwise(unplaced))
    return res.select(reason.alias("reason_en")).to_series()


def why_not_reasons(alloc: Allocation, lang: str) -> pl.Series:
    """Each why-not row's reason in ``lang``, in the order of ``alloc.why_not``."""
    if lang == "zh":
        return alloc.why_not["reason_zh"]
    classes = _class_words(alloc.precedence)
    rows = (alloc.why_not.select("application_id", "school_id", "reason")
            .join(alloc.schools.select("school_id", "is_private", "seats", "last_category",
                                       "last_category_rank", "last_lottery_number"),
                  on="school_id", how="left", maintain_order="left")
            .join(alloc.results.select("application_id", "lottery_number", "category",
                                       "category_rank"),
                  on="application_id", how="left", maintain_order="left"))
    mine = pl.col("category").replace_strict(classes, default="", return_dtype=pl.Utf8)
    last = pl.col("last_category").replace_strict(classes, default="", return_dtype=pl.Utf8)
    full = (
        pl.when(pl.col("is_private")).then(pl.format(
            "a private school with more applicants than seats admits by lottery number: full "
            "({} seats planned), the last admitted had lottery number {}; yours, {}, comes after",
            pl.col("seats"), pl.col("last_lottery_number"), pl.col("lottery_number")))
        .when(pl.col("category_rank") > pl.col("last_category_rank")).then(pl.format(
            "full ({} seats planned): the last admitted was in the category “{}” (lottery number {}); "
            "your category “{}” comes after it in the priority order",
            pl.col("seats"), last, pl.col("last_lottery_number"), mine))
        .otherwise(pl.format(
            "full ({} seats planned): the last admitted was in your priority class (category “{}”), "
            "lottery number {}; yours, {}, comes after", pl.col("seats"), last,
            pl.col("last_lottery_number"), pl.col("lottery_number"))))
    reason = (pl.when(pl.col("reason") == "full").then(full)
              .otherwise(pl.col("reason").replace_strict(REASONS_EN, return_dtype=pl.Utf8)))
    return rows.select(reason.alias("reason_en")).to_series()
