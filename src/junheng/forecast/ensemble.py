"""The county forecast of ``method="ensemble"``: several cohort-survival variants averaged, then
blended with persistence by a weight learned from the series' own past.

Why this shape (backtests in docs/forecast.md §2.3, decided on the series' own past only):

- **Members.** Cohort survival with the progression ratio averaged over the last 3, 5 and 8
  years, each crossed with the entry-grade model: births × capture ratio (3-year mean) where the
  county has births, otherwise the entry grade's own mean over the last 3 and over the last 5
  years (two members per window). Every member is a method a planner knows; the equal-weight
  mean ``M`` of them is steadier than any one window. Choosing one window per unit by its past
  errors was tried and did worse on both real series (the best window of the past is not the
  best of the future); mixing the level models in where births exist diluted the births signal
  (Eau Claire K–5 h=5: 6.28 % against 5.90 % with births alone).
- **Blend.** ``forecast = P + φ_h (M − P)``, ``P`` = persistence (the origin year carried
  forward). Where cohorts drift (retention changes, migration), ``M`` over-reacts and
  persistence under-reacts; the blend sits between. φ_h is fitted per horizon by least squares on
  relative errors of unit totals, pooled over all counties, using only outcomes known at the
  origin (rolling origin), then averaged with ½ and clipped to [0, 1]: a handful of past errors
  estimates φ loosely, and the equal-weight blend is the safe prior.
"""

from __future__ import annotations

import polars as pl

from junheng.forecast.history import History, Inputs, build_history
from junheng.forecast.options import ForecastOptions
from junheng.forecast.project import PATH_COLUMNS, extend_cohorts, project_cells
from junheng.forecast.ratios import STAGE_ENTRY_GRADES, cell_kinds, observations, recent

LEVEL = "county"
# Years the progression ratios of the members are averaged over.
WINDOWS: tuple[int, ...] = (3, 5, 8)
# Entry-grade models: births × capture ratio (3-year mean) where births exist, otherwise the
# grade's own 3- and 5-year means.
ENTRIES: tuple[str, ...] = ("births", "level3", "level5")
CAPTURE_YEARS = 3
# Prior (and fallback) weight of the cohort-survival mean against persistence.
PHI_PRIOR = 0.5
_SEP = "\x1f"
PHI_SCHEMA = {"h": pl.Int64, "phi": pl.Float64}
RAW_SCHEMA = {"origin": pl.Int64, "unit_id": pl.Utf8, "h": pl.Int64, "m": pl.Float64,
              "p": pl.Float64}


def member_cells(hist: History, opts: ForecastOptions) -> pl.DataFrame:
    """Cells of every member at county level, the member in the unit key (unit␟member)."""
    obs = observations(hist, LEVEL)
    cells = cell_kinds(hist, LEVEL, obs, opts)
    gpr = obs.filter((pl.col("kind") == "gpr") & (pl.col("den") > 0))
    ratio_frames = []
    for w in WINDOWS:
        win = recent(gpr, w, ["unit_id", "grade"])
        own = win.group_by("unit_id", "grade").agg(r=(pl.col("num") / pl.col("den")).mean())
        pooled = win.group_by("grade").agg(pooled=pl.col("num").sum() / pl.col("den").sum())
        ratio_frames.append(
            cells.select("unit_id", "grade").join(own, on=["unit_id", "grade"], how="left")
            .join(pooled, on="grade", how="left")
            .select("unit_id", "grade", w=pl.lit(w, pl.Int64),
                    r=pl.coalesce("r", "pooled", pl.lit(1.0)))
        )
    ratios = pl.concat(ratio_frames)
    births = obs.filter((pl.col("kind") == "births") & (pl.col("den") > 0))
    capture = recent(births, CAPTURE_YEARS, ["unit_id", "grade"]).group_by(
        "unit_id", "grade").agg(capture=(pl.col("num") / pl.col("den")).mean())
    units = hist.levels[LEVEL]
    means = units.filter(pl.col("year") > hist.origin - 3).group_by("unit_id", "grade").agg(
        level3=pl.col("students").mean()
    ).join(
        units.filter(pl.col("year") > hist.origin - 5).group_by("unit_id", "grade").agg(
            level5=pl.col("students").mean()),
        on=["unit_id", "grade"], how="full", coalesce=True,
    )
    has_births = cells.filter(pl.col("kind") == "births").select("unit_id").unique().with_columns(
        has_births=pl.lit(True))
    grid = pl.DataFrame({"w": list(WINDOWS)}, schema={"w": pl.Int64}).join(
        pl.DataFrame({"entry": list(ENTRIES)}), how="cross")
    is_stage_entry = pl.col("grade").is_in(list(STAGE_ENTRY_GRADES))
    is_entry = pl.col("kind").is_in(["births", "level"])
    out = (
        cells.join(grid, how="cross")
        .join(has_births, on="unit_id", how="left")
        # Where a county has a birth series its entry grade comes from births alone (the
        # strongest signal for the next six years); elsewhere from the grade's own means.
        .filter((pl.col("entry") == "births") == pl.col("has_births").fill_null(False))
        .join(ratios, on=["unit_id", "grade", "w"], how="left")
        .join(capture, on=["unit_id", "grade"], how="left")
        .join(means, on=["unit_id", "grade"], how="left")
        .with_columns(
            level_value=pl.when(pl.col("entry") == "level5").then("level5")
            .otherwise("level3"),
        )
        .with_columns(
            kind=pl.when(pl.col("kind") == "gpr").then(pl.lit("gpr"))
            .when(is_entry & (pl.col("entry") == "births") & pl.col("capture").is_not_null()
                  & (pl.col("kind") == "births")).then(pl.lit("births"))
            .when(is_entry).then(pl.lit("level"))
            .otherwise("kind"),
        )
        .with_columns(
            ratio=pl.when((pl.col("kind") == "gpr") & ~is_stage_entry)
            .then(pl.col("r").clip(opts.clip_low, opts.clip_high))
            .when(pl.col("kind") == "gpr").then(pl.col("r").clip(lower_bound=0.0))
            .when(pl.col("kind") == "births").then("capture")
            .otherwise(pl.coalesce("level_value", "students")),
            unit_id=pl.col("unit_id") + _SEP + pl.col("w").cast(pl.Utf8) + pl.col("entry"),
        )
    )
    return out.select("unit_id", "parent_id", "county_code", "grade", "kind", "students", "ratio")


def county_paths(hist: History, horizon: int, opts: ForecastOptions) -> pl.DataFrame:
    """Mean of the members (m) and persistence (p) by county, year and grade: PATH_COLUMNS with
    ``m`` and ``p`` in place of ``students``."""
    cohorts = extend_cohorts(hist.cohorts, hist.origin, horizon)
    paths = project_cells(member_cells(hist, opts), hist.origin, horizon, cohorts)
    keys = ["unit_id", "parent_id", "county_code", "year", "grade"]
    mean = (
        paths.with_columns(unit_id=pl.col("unit_id").str.split(_SEP).list.first())
        .group_by(keys).agg(m=pl.col("students").mean())
    )
    at = hist.levels[LEVEL].filter(pl.col("year") == hist.origin).select(
        "unit_id", "grade", p="students")
    return mean.join(at, on=["unit_id", "grade"], how="left").with_columns(
        pl.col("p").fill_null(0.0))


def combine(paths: pl.DataFrame, phi: pl.DataFrame | None, origin: int) -> pl.DataFrame:
    """P + φ_h (M − P), never below zero: PATH_COLUMNS."""
    weights = phi if phi is not None else pl.DataFrame(schema=PHI_SCHEMA)
    return (
        paths.with_columns(h=pl.col("year") - origin)
        .join(weights, on="h", how="left")
        .with_columns(phi=pl.col("phi").fill_null(PHI_PRIOR))
        .with_columns(students=(pl.col("p") + pl.col("phi") * (pl.col("m") - pl.col("p")))
                      .clip(lower_bound=0.0))
        .select(PATH_COLUMNS)
    )


def raw_totals(paths: pl.DataFrame, origin: int) -> pl.DataFrame:
    """Unit totals of M and P per horizon, kept to fit φ at later origins."""
    return (
        paths.group_by("unit_id", "year").agg(pl.col("m").sum(), pl.col("p").sum())
        .select(origin=pl.lit(origin, pl.Int64), unit_id="unit_id",
                h=pl.col("year") - origin, m="m", p="p")
        .cast(RAW_SCHEMA)  # type: ignore[arg-type]
    )


def estimate_phi(raw: pl.DataFrame, actual: pl.DataFrame, at: int, horizon: int) -> pl.DataFrame:
    """φ by horizon from the outcomes known in year ``at`` (origin + h ≤ at). ``actual``: unit_id,
    year, actual (county totals). Horizons without outcomes take the longest fitted one's φ, or
    the prior when there is none."""
    known = (
        raw.filter(pl.col("origin") + pl.col("h") <= at)
        .join(actual, left_on=["unit_id", pl.col("origin") + pl.col("h")],
              right_on=["unit_id", "year"], how="inner")
        .filter(pl.col("actual") > 0)
        .with_columns(d=(pl.col("m") - pl.col("p")) / pl.col("actual"),
                      y=(pl.col("actual") - pl.col("p")) / pl.col("actual"))
        .group_by("h").agg(num=(pl.col("d") * pl.col("y")).sum(), den=(pl.col("d") ** 2).sum())
        .filter(pl.col("den") > 0)
        # Least squares, averaged with the equal-weight prior (see the module docstring).
        .select("h", fitted=((pl.col("num") / pl.col("den") + PHI_PRIOR) / 2.0).clip(0.0, 1.0))
    )
    grid = pl.DataFrame({"h": list(range(1, horizon + 1))}, schema={"h": pl.Int64})
    return (
        grid.join(known, on="h", how="left").sort("h")
        .select("h", phi=pl.col("fitted").forward_fill().fill_null(PHI_PRIOR))
    )


def county_actuals(inputs: Inputs) -> pl.DataFrame:
    """County totals by year (unit_id, year, actual), what φ is fitted against."""
    county = build_history(inputs, min_years=1).levels[LEVEL]
    return county.group_by("unit_id", "year").agg(actual=pl.col("students").sum())


def fitted_phi(inputs: Inputs, horizon: int, opts: ForecastOptions) -> pl.DataFrame | None:
    """φ for a forecast from the last year of ``inputs``: the members and persistence are run from
    every earlier origin (county level only) and scored on what followed."""
    years = inputs.years
    origins = [y for i, y in enumerate(years) if i + 1 >= opts.min_years and y < years[-1]]
    if not origins:
        return None
    raws = []
    for origin in origins:
        hist = build_history(inputs.until(origin), opts.min_years)
        raws.append(raw_totals(county_paths(hist, min(horizon, years[-1] - origin), opts),
                               origin))
    return estimate_phi(pl.concat(raws), county_actuals(inputs), years[-1], horizon)
