"""Class sizes: one pass over the class list per evaluation.

Bands (班额分档): ≤ 45 normal, 46–55 偏大, 56–65 大班额, 66+ 超大班额. The class list can be
millions of rows at national scale, so it is aggregated once per school × stage (class count,
largest class, classes over a cap, classes per band) and every class-size item and the band
table are computed from that summary.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import polars as pl

from junheng.domain.dataset import Dataset
from junheng.standards.school_table import by_key, one_of

BANDS: tuple[tuple[str, str], ...] = (
    ("normal", "正常 (≤45人)"),
    ("large", "偏大 (46–55人)"),
    ("big", "大班额 (56–65人)"),
    ("super", "超大班额 (66人及以上)"),
)

EPS = 1e-9


def band_flags(students: pl.Expr, limits: Mapping[str, int]) -> dict[str, pl.Expr]:
    """One boolean expression per band id, from the rule's ``normal_max``, ``large_max`` and
    ``big_max``. The engine's band table and every page or report that names a class's band use
    these same expressions, so a class is never counted in two different bands."""
    n, lg, b = (int(limits[k]) for k in ("normal_max", "large_max", "big_max"))
    return {"normal": students <= n, "large": (students > n) & (students <= lg),
            "big": (students > lg) & (students <= b), "super": students > b}


def band_expr(students: pl.Expr, limits: Mapping[str, int]) -> pl.Expr:
    """The band id of each class (``normal`` … ``super``); null where the size is unknown."""
    flags = band_flags(students, limits)
    out: pl.Expr = pl.lit(None, pl.Utf8)
    for name, _ in reversed(BANDS):
        out = pl.when(flags[name]).then(pl.lit(name)).otherwise(out)
    return out


class ClassStats:
    """Per school × stage summary of the year's class list (``None`` when none was given)."""

    def __init__(self, ds: Dataset, band_limits: Mapping[str, int] | None) -> None:
        classes = ds.table("classes")
        self.classes: pl.DataFrame | None = (
            classes if "classes" in ds.tables and classes.height else None
        )
        self.band_limits = band_limits
        self._cache: dict[tuple[tuple[str, float], ...], pl.DataFrame] = {}

    @property
    def present(self) -> bool:
        return self.classes is not None

    def summary(self, caps: Mapping[str, float] | None = None) -> pl.DataFrame | None:
        """school_id, stage, classes, max_class_size, over (classes above ``caps`` of the stage;
        null without caps) and one count column per band."""
        if self.classes is None:
            return None
        key = tuple(sorted((k, float(v)) for k, v in (caps or {}).items()))
        if key in self._cache:
            return self._cache[key]
        if not caps and self._cache:
            return next(iter(self._cache.values()))
        s = pl.col("students")
        # Per-class flags are computed row-wise first and only summed in the group_by: an
        # expression with a comparison inside ``agg`` is evaluated group by group, several times
        # slower over 3 million classes.
        flags: dict[str, pl.Expr] = {}
        if caps:
            cap = by_key("stage", caps)
            flags["over"] = s.cast(pl.Float64) > cap + cap.abs().clip(lower_bound=1.0) * EPS
        if self.band_limits:
            flags.update(band_flags(s, self.band_limits))
        aggs = [pl.len().cast(pl.Int64).alias("classes"), s.max().alias("max_class_size")]
        aggs += [pl.col(f"__{k}").sum().cast(pl.Int64).alias(k) for k in flags]
        if not caps:
            aggs.append(pl.lit(None, pl.Int64).alias("over"))
        order = ["school_id", "stage", "classes", "max_class_size", "over"] + [
            k for k, _ in BANDS if k in flags]
        out = (
            self.classes.lazy()
            .with_columns(**{f"__{k}": e for k, e in flags.items()})
            .group_by("school_id", "stage").agg(aggs).select(order).collect()
        )
        self._cache[key] = out
        return out


def class_bands(
    stats: ClassStats, sections: pl.DataFrame, stages: Sequence[str]
) -> pl.DataFrame | None:
    """Counts and shares of classes per band, per county × stage, over the classes of the
    in-scope school stages in ``sections``; ``None`` when no class list was provided."""
    summary = stats.summary()
    if summary is None or not stats.band_limits:
        return None
    parts = sections.filter(one_of("stage", stages)).select(
        "school_id", "stage", "county_code").unique()
    joined = summary.join(parts, on=["school_id", "stage"], how="inner")
    out = joined.group_by("county_code", "stage").agg(
        pl.col("classes").sum(), *[pl.col(k).sum() for k, _ in BANDS]
    )
    return out.with_columns(
        **{f"share_{k}": pl.col(k) / pl.col("classes") for k, _ in BANDS}
    ).sort("county_code", "stage")
