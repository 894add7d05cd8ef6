"""Class-size bands (班额分档): ≤ 45 normal, 46–55 偏大, 56–65 大班额, 66+ 超大班额."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import polars as pl

from junheng.domain.dataset import Dataset

BANDS: tuple[tuple[str, str], ...] = (
    ("normal", "正常 (≤45人)"),
    ("large", "偏大 (46–55人)"),
    ("big", "大班额 (56–65人)"),
    ("super", "超大班额 (66人及以上)"),
)


def class_bands(
    ds: Dataset, sections: pl.DataFrame, stages: Sequence[str], limits: Mapping[str, int]
) -> pl.DataFrame | None:
    """Counts and shares of classes per band, per county × stage, over the classes of the
    in-scope school stages in ``sections``; ``None`` when no class list was provided."""
    classes = ds.get("classes")
    if "classes" not in ds.tables or classes.height == 0:
        return None
    n, l, b = int(limits["normal_max"]), int(limits["large_max"]), int(limits["big_max"])
    parts = sections.filter(pl.col("stage").is_in(list(stages))).select(
        "school_id", "stage", "county_code").unique()
    cls = classes.join(parts, on=["school_id", "stage"], how="inner").with_columns(
        band=pl.when(pl.col("students") <= n).then(pl.lit("normal"))
        .when(pl.col("students") <= l).then(pl.lit("large"))
        .when(pl.col("students") <= b).then(pl.lit("big"))
        .otherwise(pl.lit("super"))
    )
    out = cls.group_by("county_code", "stage").agg(
        classes=pl.len().cast(pl.Int64),
        **{k: (pl.col("band") == k).sum().cast(pl.Int64) for k, _ in BANDS},
    )
    return out.with_columns(
        **{f"share_{k}": pl.col(k) / pl.col("classes") for k, _ in BANDS}
    ).sort("county_code", "stage")
