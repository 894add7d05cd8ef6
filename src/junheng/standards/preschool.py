"""The county figures the 2020 preschool method (``preschool-2020.yaml``) checks: one row per
county, computed from the preschool rows of ``sections`` (every school with preschool children:
kindergartens and the preschool classes of other schools), ``kindergartens`` and the county
facts of ``preschool_county``. The items are then plain ratio / column / flag checks.

Children of a public school count as public and inclusive (普惠性幼儿园覆盖率 is the share in
public and recognised inclusive private kindergartens); a private school counts as inclusive
only when its ``kindergartens`` row says so. Classes within the size rule are summed over the
``kindergartens`` rows given; a county that gave none has the item not reported.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from junheng.domain.dataset import Dataset

# preschool_county columns the items read (the rest of that table is context).
_COUNTY_COLUMNS = ("children_3_5", "townships", "townships_with_public_centre",
                   "compound_kindergartens", "compound_public_or_inclusive",
                   "public_funding_per_child_yuan", "inclusive_subsidy_per_child_yuan",
                   "development_plan", "fee_aid_policy", "no_schoolification",
                   "recognition_rate")


def preschool_figures(dsy: Dataset, codes: Sequence[str]) -> pl.DataFrame:
    """``dsy``: the dataset of one school year. One row per county of ``codes``; a county
    without preschool rows has null figures (not reported, never zero)."""
    base = pl.DataFrame({"county_code": list(codes)}, schema={"county_code": pl.Utf8})
    schools = dsy.table("schools").select("school_id", "county_code", "ownership")
    kg = dsy.table("kindergartens").select("school_id", "is_inclusive", "classes_within_size")
    pre = (dsy.table("sections").filter(pl.col("stage") == "preschool")
           .join(schools, on="school_id", how="inner")
           .join(kg, on="school_id", how="left")
           .with_columns(
               public=pl.col("ownership") == "public",
               inclusive=(pl.col("ownership") == "public")
               | pl.col("is_inclusive").fill_null(False)))
    per = pre.group_by("county_code").agg(
        preschool_children=pl.col("students").sum(),
        public_children=pl.col("students").filter(pl.col("public")).sum(),
        inclusive_children=pl.col("students").filter(pl.col("inclusive")).sum(),
        preschool_classes=pl.col("classes").sum(),
        preschool_teachers=pl.col("teachers").sum(),
        preschool_certified_teachers=pl.col("certified_teachers").sum(),
        # Null when no kindergarten of the county reported its classes within the rule.
        classes_within_size=pl.when(pl.col("classes_within_size").is_not_null().any())
        .then(pl.col("classes_within_size").sum()),
        # Teachers and certified teachers must both be given for every school to be judged.
        teachers_missing=pl.col("teachers").is_null().any(),
        certified_missing=pl.col("certified_teachers").is_null().any(),
    ).with_columns(
        pl.when(~pl.col("teachers_missing")).then(pl.col("preschool_teachers"))
        .alias("preschool_teachers"),
        pl.when(~pl.col("certified_missing") & ~pl.col("teachers_missing"))
        .then(pl.col("preschool_certified_teachers")).alias("preschool_certified_teachers"),
    ).drop("teachers_missing", "certified_missing")
    facts = dsy.table("preschool_county").select("county_code", *_COUNTY_COLUMNS).unique(
        subset=["county_code"], keep="first")
    return base.join(per, on="county_code", how="left").join(facts, on="county_code",
                                                              how="left")
