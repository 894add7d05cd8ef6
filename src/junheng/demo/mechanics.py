"""Vectorised building blocks shared by the Zhangye demo and the national benchmark generator.

Each function works on whole arrays (one element per school × stage × grade × year, or per
class) so that generating 200 000 schools costs the same code path as 200.
"""

from __future__ import annotations

import numpy as np
import polars as pl

GRADE_NAMES = {
    0: "大班", 1: "一年级", 2: "二年级", 3: "三年级", 4: "四年级", 5: "五年级", 6: "六年级",
    7: "七年级", 8: "八年级", 9: "九年级", 10: "高一", 11: "高二", 12: "高三",
}


def cohort_students(*, entry: np.ndarray, grade: np.ndarray, first_grade: np.ndarray,
                    year: np.ndarray, last_year: int, trend: np.ndarray, survival: np.ndarray,
                    birth_ratio: np.ndarray, cohort_noise: np.ndarray,
                    rng: np.random.Generator) -> np.ndarray:
    """Students of one grade in one year, following the cohort.

    A cohort (children born in ``year - grade - 5``) enters the school's first grade with a size
    proportional to its births and to the school's trend (urban pull, rural decline), then each
    year keeps ``survival`` of itself (migration to town shows as survival below 1). So grade g
    in year y is about grade g-1 in year y-1 times ``survival``. ``entry`` is the size of the
    cohort entering in ``last_year``; ``birth_ratio`` is the cohort's births over the births of
    that reference cohort; ``cohort_noise`` is a multiplier the cohort keeps through school.
    """
    steps = grade - first_grade
    entry_year = year - steps
    mean = (entry * birth_ratio * np.power(1.0 + trend, entry_year - last_year)
            * np.power(survival, steps) * cohort_noise)
    mean = np.maximum(mean, 0.0)
    jitter = np.exp(rng.normal(0.0, 0.015, mean.shape))
    small = mean < 30
    # Tiny schools are counts of a few children: Poisson, so some grades are empty.
    return np.where(small, rng.poisson(np.where(small, mean, 0.0)),
                    np.rint(mean * jitter)).astype(np.int64)


def class_counts(students: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Classes per grade: ceil(n / target), so no class exceeds the size the school aims at.
    A crowded city school simply aims high (no rooms for more classes): that is how 大班额
    arise."""
    k = np.ceil(students.astype(np.float64) / target)
    return np.where(students > 0, k, 0).astype(np.int64)


def split_classes(row: np.ndarray, students: np.ndarray, k: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Expand grades into classes: (row index, class ordinal from 1, class size). Sizes within
    a grade differ by at most one and add up to the grade's students."""
    idx = np.repeat(row, k)
    starts = np.repeat(np.cumsum(k) - k, k)
    ordinal = np.arange(idx.size) - starts
    n = np.repeat(students, k)
    kk = np.repeat(k, k)
    size = n // kk + (ordinal < n % kk)
    return idx, ordinal + 1, size


def class_names(grade: pl.Expr, ordinal: pl.Expr) -> pl.Expr:
    """一年级(1)班 style names."""
    return pl.format("{}({})班", grade.replace_strict(GRADE_NAMES, return_dtype=pl.Utf8), ordinal)


def need_count(rate_per_100: np.ndarray, students: np.ndarray, margin: np.ndarray,
               cap: np.ndarray) -> np.ndarray:
    """The whole number of teachers (or rooms) that puts a school ``margin`` times above a
    per-100-students level, never more than ``cap``."""
    need = np.ceil(rate_per_100 * margin * students / 100.0 - 1e-9)
    out: np.ndarray = np.minimum(np.maximum(need, 0), cap).astype(np.int64)
    return out


def staff(*, students: np.ndarray, classes: np.ndarray, pupils_per_teacher: np.ndarray,
          teachers_per_class: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """专任教师 of a section: by pupil ratio, but never fewer than the classes need."""
    by_ratio = np.rint(students / pupils_per_teacher * rng.uniform(0.95, 1.1, students.shape))
    by_class = np.ceil(classes * teachers_per_class)
    teachers = np.maximum(by_ratio, by_class)
    return np.where(students > 0, np.maximum(teachers, 1), 0).astype(np.int64)


def facilities_frame(year: int, school_id: pl.Series | np.ndarray,
                     stocks: dict[str, np.ndarray]) -> pl.DataFrame:
    """One ``facilities`` row per school from raw stock draws, rounded as a clerk reports them
    (areas to 0.1 m², equipment to 100 元, rooms and books to whole units)."""
    return pl.DataFrame({
        "year": np.full(len(school_id), year),
        "school_id": school_id,
        "teaching_area_m2": np.round(stocks["teaching_area_m2"], 1),
        "sports_area_m2": np.round(stocks["sports_area_m2"], 1),
        "equipment_value_yuan": np.round(stocks["equipment_value_yuan"], -2),
        "multimedia_rooms": np.ceil(stocks["multimedia_rooms"]).astype(np.int64),
        "computers": np.ceil(stocks["computers"]).astype(np.int64),
        "books": np.rint(stocks["books"]).astype(np.int64),
    })
