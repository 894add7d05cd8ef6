"""New classes (classrooms) needed so that no class exceeds the g05 cap.

With the class list of the year, each grade of a school-stage needs ceil(grade students / cap)
classes; without one (a projected year, or a list that no longer adds up to the section's
students), the stage as a whole needs ceil(students / cap). The count is forced, not chosen:
it is the least number of rooms that splits every grade under the cap.
"""

from __future__ import annotations

import polars as pl

from junheng.domain.dataset import Dataset


def classes_needed(ds_year: Dataset, parts: pl.DataFrame, caps: dict[str, int]) -> pl.DataFrame:
    """Per part (school_id, stage): ``new_classes`` ≥ 0 and ``basis`` (``grades``/``stage``)."""
    cap = pl.col("stage").replace_strict(caps, default=None, return_dtype=pl.Int64)
    sec = parts.select("school_id", "stage", "students", "classes")
    cls = ds_year.table("classes").filter(pl.col("stage").is_in(list(caps)))
    by_grade = (
        cls.group_by("school_id", "stage", "grade")
        .agg(students=pl.col("students").sum(), classes=pl.len())
        .with_columns(cap=cap)
        .with_columns(add=((pl.col("students") / pl.col("cap")).ceil() - pl.col("classes")).clip(lower_bound=0))
        .group_by("school_id", "stage")
        .agg(add_grades=pl.col("add").sum(), class_students=pl.col("students").sum())
    )
    out = (
        sec.join(by_grade, on=["school_id", "stage"], how="left")
        .with_columns(cap=cap)
        .with_columns(
            add_stage=((pl.col("students") / pl.col("cap")).ceil() - pl.col("classes").fill_null(0))
            .clip(lower_bound=0),
            use_grades=pl.col("class_students") == pl.col("students"),
        )
        .with_columns(
            new_classes=pl.when(pl.col("use_grades")).then(pl.col("add_grades"))
            .otherwise(pl.col("add_stage")).fill_null(0).cast(pl.Int64),
            basis=pl.when(pl.col("use_grades")).then(pl.lit("grades")).otherwise(pl.lit("stage")),
        )
    )
    return out.select("school_id", "stage", "new_classes", "basis")


def resplit_classes(classes: pl.DataFrame, added: pl.DataFrame, caps: dict[str, int], year: int) -> pl.DataFrame:
    """The class list after the new rooms: each affected grade split evenly over
    ceil(students / cap) classes (class names kept, new ones numbered after them)."""
    if added.height == 0 or classes.height == 0:
        return classes
    keys = added.filter(pl.col("new_classes") > 0).select("school_id", "stage")
    this_year = classes.filter(pl.col("year") == year)
    touched = this_year.join(keys, on=["school_id", "stage"], how="semi")
    if touched.height == 0:
        return classes
    grades = (
        touched.group_by("year", "school_id", "stage", "grade")
        .agg(students=pl.col("students").sum(), n_now=pl.len())
        .with_columns(cap=pl.col("stage").replace_strict(caps, default=None, return_dtype=pl.Int64))
        .with_columns(n=pl.max_horizontal(pl.col("n_now"), (pl.col("students") / pl.col("cap")).ceil().cast(pl.Int64)))
    )
    rows = (
        grades.with_columns(idx=pl.int_ranges(0, pl.col("n")))
        .explode("idx")
        .with_columns(
            students=(pl.col("students") // pl.col("n")
                      + (pl.col("idx") < pl.col("students") % pl.col("n")).cast(pl.Int64)),
            class_name=pl.format("{}年级{}班", pl.col("grade"), pl.col("idx") + 1),
        )
        .select("year", "school_id", "stage", "grade", "class_name", "students")
    )
    kept = classes.join(touched.select("year", "school_id", "stage").unique(),
                        on=["year", "school_id", "stage"], how="anti")
    return pl.concat([kept, rows.cast({c: t for c, t in classes.schema.items() if c in rows.columns})],
                     how="diagonal_relaxed").select(classes.columns)
