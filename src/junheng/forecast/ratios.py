"""Ratios that move pupils from one year to the next.

Each projected cell (unit, grade) has a *kind*, the source of its pupils:

- ``gpr``: grade-progression ratio inside the unit, grade g in year t+1 over grade g-1 in year t;
- ``transfer``: a school's entry grade fed by its county's previous grade (a 初中's grade 7 from
  the county's grade 6 a year earlier): the school's share of the county cohort;
- ``births``: an entry grade fed by the cohort born (g + 5) years earlier — the capture ratio
  (pupils entering / children of the cohort);
- ``level``: nothing to relate to (no births given): the recent average of the grade itself.

Ratios are the averages of yearly observations ``num / den`` over the last ``window``
transition years, by the chosen method. Schools' ``gpr`` ratios are shrunk towards their
county's by cohort size (empirical Bayes), so a 12-pupil 教学点 does not project a 50 % jump.
"""

from __future__ import annotations

import math

import polars as pl

from junheng.forecast.history import History
from junheng.forecast.options import ENTRY_AGE_OFFSET, ForecastOptions

RATIO_KEYS = ["unit_id", "grade", "kind"]
# First grades of 初中 and 高中: a cohort may shrink a lot there (not all go on to 普通高中).
STAGE_ENTRY_GRADES = (7, 10)


def observations(hist: History, level: str) -> pl.DataFrame:
    """Yearly observations ``num / den`` of every kind: unit_id, grade, year, kind, num, den."""
    units = hist.levels[level]
    prev = units.select(
        "unit_id", year=pl.col("year") + 1, grade=pl.col("grade") + 1, den=pl.col("students")
    )
    own = units.join(prev, on=["unit_id", "year", "grade"], how="inner").select(
        "unit_id", "grade", "year", kind=pl.lit("gpr"), num="students", den="den"
    )
    frames = [own]
    if level == "school":
        county = hist.levels["county"].select(
            parent_id=pl.col("unit_id"), year=pl.col("year") + 1, grade=pl.col("grade") + 1,
            den=pl.col("students"),
        )
        frames.append(
            units.join(county, on=["parent_id", "year", "grade"], how="inner").select(
                "unit_id", "grade", "year", kind=pl.lit("transfer"), num="students", den="den"
            )
        )
    if hist.cohorts.height and level != "city":
        cohorts = hist.cohorts.rename({"size": "den"})
        frames.append(
            units.with_columns(birth_year=pl.col("year") - pl.col("grade") - ENTRY_AGE_OFFSET)
            .join(cohorts, on=["county_code", "birth_year"], how="inner")
            .select("unit_id", "grade", "year", kind=pl.lit("births"), num="students", den="den")
        )
    return pl.concat(frames).filter(pl.col("den") >= 0)


def cell_kinds(
    hist: History, level: str, obs: pl.DataFrame, opts: ForecastOptions
) -> pl.DataFrame:
    """The kind of each (unit, grade) offered at the origin: unit_id, parent_id, county_code,
    grade, kind, students (at the origin)."""
    units = hist.levels[level]
    at_origin = units.filter(pl.col("year") == hist.origin).drop("year")
    has_prev = at_origin.select("unit_id", grade=pl.col("grade") + 1, has_own=pl.lit(True))
    # Grade 0 counts often cover only some kindergartens (private ones, 学前班 in a few primary
    # schools). Grade 1 follows grade 0 only where the two match in size — a 0→1 ratio inside
    # the clip band in most years; otherwise grade 1 is fed from births.
    partial_preschool = (
        obs.filter((pl.col("kind") == "gpr") & (pl.col("grade") == 1) & (pl.col("den") > 0))
        .group_by("unit_id")
        .agg(r=(pl.col("num") / pl.col("den")).median())
        .filter(~pl.col("r").is_between(opts.clip_low, opts.clip_high))
        .select("unit_id", grade=pl.lit(1, pl.Int64), is_partial=pl.lit(True))
    )
    cells = (
        at_origin.join(has_prev, on=["unit_id", "grade"], how="left")
        .join(partial_preschool, on=["unit_id", "grade"], how="left")
        .with_columns(has_own=pl.col("has_own") & pl.col("is_partial").is_null())
        .drop("is_partial")
    )
    if level == "school":
        county_grades = (
            hist.levels["county"].filter(pl.col("year") == hist.origin)
            .select(parent_id="unit_id", grade=pl.col("grade") + 1, has_parent=pl.lit(True))
        )
        cells = cells.join(county_grades, on=["parent_id", "grade"], how="left")
    else:
        cells = cells.with_columns(has_parent=pl.lit(None, pl.Boolean))
    birth_cells = (
        obs.filter(pl.col("kind") == "births").select("unit_id", "grade").unique()
        .with_columns(has_births=pl.lit(True))
    )
    cells = cells.join(birth_cells, on=["unit_id", "grade"], how="left")
    # Grade 1 is fed from births, not from the county's grade 0: preschool returns usually cover
    # only part of the children (many kindergartens are private or unreported).
    kind = (
        pl.when(pl.col("has_own")).then(pl.lit("gpr"))
        .when(pl.col("has_parent") & (pl.col("grade") >= 2)).then(pl.lit("transfer"))
        .when(pl.col("has_births")).then(pl.lit("births"))
        .otherwise(pl.lit("level"))
    )
    return cells.with_columns(kind=kind).select(
        "unit_id", "parent_id", "county_code", "grade", "kind", "students"
    )


def recent(obs: pl.DataFrame, window: int, keys: list[str]) -> pl.DataFrame:
    """The observations of the last ``window`` transition years (per kind), with their age."""
    years = (
        obs.select("kind", "year").unique()
        .with_columns(age=pl.col("year").rank("dense", descending=True).over("kind") - 1)
        .filter(pl.col("age") < window)
    )
    return obs.join(years, on=["kind", "year"], how="inner")


def average(obs: pl.DataFrame, opts: ForecastOptions, keys: list[str]) -> pl.DataFrame:
    """One ratio per key: keys + ratio, n (sum of denominators), years (count of observations)."""
    ratio_t = pl.col("num") / pl.col("den")
    if opts.method == "gpr-mean":
        agg = pl.col("num").sum() / pl.col("den").sum()
    elif opts.method == "gpr-ewm":
        w = (1.0 - opts.alpha) ** pl.col("age").cast(pl.Float64)
        agg = (w * pl.col("num")).sum() / (w * pl.col("den")).sum()
    elif opts.method == "gpr-median":
        agg = ratio_t.filter(pl.col("den") > 0).median()
    else:  # gpr-trim: drop the highest and the lowest year once there are four or more
        r = ratio_t.filter(pl.col("den") > 0)
        agg = (
            pl.when(r.count() >= 4)
            .then((r.sum() - r.max() - r.min()) / (r.count() - 2))
            .otherwise(r.mean())
        )
    return (
        obs.group_by(keys)
        .agg(ratio=agg, n=pl.col("den").sum(), years=pl.col("den").count())
        .with_columns(pl.col("ratio").fill_nan(None))
    )


def shrinkage_k(obs: pl.DataFrame, school_r: pl.DataFrame, county_r: pl.DataFrame) -> float:
    """Empirical-Bayes prior strength k = within-school variance per pupil / between-school
    variance of the true ratios (method of moments), for schools' gpr ratios."""
    gpr = obs.filter((pl.col("kind") == "gpr") & (pl.col("den") > 0))
    per = school_r.filter(pl.col("kind") == "gpr").select(
        "unit_id", "parent_id", "grade", "ratio", "n", "years"
    )
    resid = gpr.join(per, on=["unit_id", "grade"]).with_columns(
        ss=pl.col("den") * (pl.col("num") / pl.col("den") - pl.col("ratio")) ** 2
    )
    dof = per.filter(pl.col("years") >= 2).select((pl.col("years") - 1).sum()).item()
    if not dof:
        return 20.0
    sigma2 = resid.filter(pl.col("years") >= 2)["ss"].sum() / dof
    between = per.filter(pl.col("n") > 0).join(
        county_r.select("parent_id", "grade", r_c="ratio"), on=["parent_id", "grade"]
    ).select(((pl.col("ratio") - pl.col("r_c")) ** 2 - sigma2 / pl.col("n")).mean()).item()
    tau2 = max(float(between or 0.0), 1e-5)
    k = sigma2 / tau2
    return float(min(max(k, 1.0), 2000.0)) if math.isfinite(k) else 20.0


def estimate(
    hist: History, level: str, opts: ForecastOptions, parent_ratios: pl.DataFrame | None = None
) -> tuple[pl.DataFrame, dict[str, float]]:
    """Cells to project at a level with their ratio: unit_id, parent_id, county_code, grade,
    kind, students (origin), ratio. Returns also facts for the metadata (e.g. the k used)."""
    obs = observations(hist, level)
    cells = cell_kinds(hist, level, obs, opts)
    facts: dict[str, float] = {}
    win = recent(obs, opts.window, RATIO_KEYS)
    est = average(win, opts, RATIO_KEYS)
    cells = cells.join(est, on=RATIO_KEYS, how="left")
    if level == "school" and parent_ratios is not None:
        county_gpr = parent_ratios.filter(pl.col("kind") == "gpr").select(
            parent_id="unit_id", grade="grade", ratio="ratio"
        )
        if opts.is_shrink:
            k = opts.shrink_k if opts.shrink_k is not None else shrinkage_k(
                win, cells.select("unit_id", "parent_id", "grade", "kind", "ratio", "n", "years"),
                county_gpr,
            )
        else:
            k = 0.0
        facts["shrink_k"] = round(k, 2)
        cells = cells.join(
            county_gpr.rename({"ratio": "r_county"}), on=["parent_id", "grade"], how="left"
        ).with_columns(
            ratio=pl.when(pl.col("kind") == "gpr")
            .then(
                pl.when(pl.col("r_county").is_null()).then("ratio")
                .when(pl.col("ratio").is_null() | (pl.col("n") <= 0)).then("r_county")
                .otherwise(
                    (pl.col("n") * pl.col("ratio") + k * pl.col("r_county")) / (pl.col("n") + k)
                )
            )
            .otherwise("ratio")
        ).drop("r_county")
    # A gpr cell with no usable history (new grade, all-zero feeder) takes the level's pooled
    # ratio for that grade, and failing that carries the cohort over unchanged.
    pooled = average(win.filter(pl.col("kind") == "gpr"), opts, ["grade"]).select(
        "grade", pooled="ratio"
    )
    # The clip guards year-to-year progression inside a stage; the moves into 初中 (grade 7)
    # and 高中 (grade 10) are not clipped, since only part of a cohort goes on to 普通高中.
    is_stage_entry = pl.col("grade").is_in(list(STAGE_ENTRY_GRADES))
    cells = cells.join(pooled, on="grade", how="left").with_columns(
        ratio=pl.when((pl.col("kind") == "gpr") & ~is_stage_entry)
        .then(pl.coalesce("ratio", "pooled", pl.lit(1.0)).clip(opts.clip_low, opts.clip_high))
        .when(pl.col("kind") == "gpr")
        .then(pl.coalesce("ratio", "pooled", pl.lit(1.0)).clip(lower_bound=0.0))
        .otherwise(pl.col("ratio").clip(lower_bound=0.0))
    )
    # Entry cells whose ratio is undefined (zero feeders throughout) keep their current size.
    cells = cells.with_columns(
        kind=pl.when((pl.col("kind") != "gpr") & pl.col("ratio").is_null())
        .then(pl.lit("level")).otherwise("kind")
    )
    levels = (
        hist.levels[level].filter(pl.col("year") > hist.origin - opts.window)
        .group_by("unit_id", "grade").agg(level_value=pl.col("students").mean())
    )
    cells = cells.join(levels, on=["unit_id", "grade"], how="left").with_columns(
        ratio=pl.when(pl.col("kind") == "level").then("level_value").otherwise("ratio")
    )
    return cells.select(
        "unit_id", "parent_id", "county_code", "grade", "kind", "students", "ratio"
    ), facts
