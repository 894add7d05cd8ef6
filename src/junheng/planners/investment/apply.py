"""Apply a plan to the data of the target year, so the standards engine can judge it afresh.

The "after" dataset is the independent check of the planner: the engine knows nothing of the
model, it only sees more teachers, more m², more rooms and more classes where the plan put them.
"""

from __future__ import annotations

import polars as pl

from junheng.domain.dataset import Dataset
from junheng.planners.investment.classes import resplit_classes

TEACHER_KIND_COLUMN = {"degree": "degree_teachers", "backbone": "backbone_teachers", "pe_art": "pe_art_teachers"}
FACILITY_KIND_COLUMN = {
    "build_teaching_area_m2": "teaching_area_m2",
    "build_sports_area_m2": "sports_area_m2",
    "buy_equipment_yuan": "equipment_value_yuan",
    "add_multimedia_rooms": "multimedia_rooms",
}


def section_deltas(actions: pl.DataFrame) -> pl.DataFrame:
    """Per (school_id, stage): change of each teacher count and of classes."""
    frames = []
    for kind, col in TEACHER_KIND_COLUMN.items():
        hires = actions.filter(pl.col("kind") == f"hire_{kind}_teacher").select(
            "school_id", "stage", d=pl.col("quantity"))
        moves = actions.filter(pl.col("kind") == f"move_{kind}_teacher")
        ins = moves.select("school_id", "stage", d=pl.col("quantity"))
        outs = moves.select(pl.col("from_school_id").alias("school_id"), "stage", d=-pl.col("quantity"))
        frames.append(pl.concat([hires, ins, outs]).with_columns(col=pl.lit(col)))
    frames.append(actions.filter(pl.col("kind") == "add_classrooms").select(
        "school_id", "stage", d=pl.col("quantity")).with_columns(col=pl.lit("classes")))
    long = pl.concat([f.with_columns(pl.col("d").cast(pl.Float64)) for f in frames])
    if long.height == 0:
        return pl.DataFrame(schema={"school_id": pl.Utf8, "stage": pl.Utf8})
    wide = long.group_by("school_id", "stage", "col").agg(pl.col("d").sum()).pivot(
        on="col", index=["school_id", "stage"], values="d")
    return wide.fill_null(0.0)


def _add(col: str, delta: str, dtype: pl.DataType) -> pl.Expr:
    # Only rows the plan touches change; an unreported stock the plan supplies is read as zero
    # (as the planner did), an untouched unreported one stays unreported.
    return (pl.when(pl.col(delta).is_not_null() & (pl.col(delta) != 0))
            .then(pl.col(col).fill_null(0) + pl.col(delta)).otherwise(pl.col(col))
            .cast(dtype).alias(col))


def apply_plan(ds: Dataset, year: int, actions: pl.DataFrame, classroom_area_m2: float,
               class_caps: dict[str, int], new_classes: pl.DataFrame | None = None) -> Dataset:
    """``ds`` with the actions of the plan applied to school year ``year``."""
    sections = ds.table("sections")
    delta = section_deltas(actions)
    teacher_cols = [c for c in (*TEACHER_KIND_COLUMN.values(), "classes") if c in delta.columns]
    if delta.height:
        # A hire or a move brings a whole teacher: the stage's total and certified counts follow.
        headcount = [pl.col(c) for c in TEACHER_KIND_COLUMN.values() if c in delta.columns]
        delta = delta.with_columns(_teachers=pl.sum_horizontal(headcount) if headcount else pl.lit(0.0))
        joined = sections.join(delta.with_columns(year=pl.lit(year, sections.schema["year"])),
                               on=["year", "school_id", "stage"], how="left", suffix="__d")
        upd = [_add(c, f"{c}__d", sections.schema[c]) for c in teacher_cols]
        upd += [_add(c, "_teachers", sections.schema[c]) for c in ("teachers", "certified_teachers")]
        sections = joined.with_columns(upd).select(sections.columns)

    fac = ds.table("facilities")
    fac_delta = (
        actions.filter(pl.col("kind").is_in(list(FACILITY_KIND_COLUMN)))
        .with_columns(col=pl.col("kind").replace_strict(FACILITY_KIND_COLUMN))
        .select("school_id", "col", pl.col("quantity").cast(pl.Float64))
    )
    rooms_area = actions.filter(pl.col("kind") == "add_classrooms").select(
        "school_id", pl.lit("teaching_area_m2").alias("col"),
        (pl.col("quantity").cast(pl.Float64) * classroom_area_m2).alias("quantity"))
    fac_delta = pl.concat([fac_delta, rooms_area])
    if fac_delta.height:
        wide = fac_delta.group_by("school_id", "col").agg(pl.col("quantity").sum()).pivot(
            on="col", index="school_id", values="quantity").fill_null(0.0)
        cols = [c for c in FACILITY_KIND_COLUMN.values() if c in wide.columns]
        joined = fac.join(wide.with_columns(year=pl.lit(year, fac.schema["year"])),
                          on=["year", "school_id"], how="left", suffix="__d")
        fac = joined.with_columns([_add(c, f"{c}__d", fac.schema[c]) for c in cols]).select(fac.columns)

    out = ds.with_table("sections", sections).with_table("facilities", fac)
    if new_classes is not None and "classes" in ds.tables:
        out = out.with_table("classes", resplit_classes(ds.table("classes"), new_classes, class_caps, year))
    return out
