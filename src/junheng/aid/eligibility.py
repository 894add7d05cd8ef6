"""Who qualifies for which program, who has an award, and the gap (应助尽助).

A student's categories are the department lists they were matched to (minus matches a
reviewer rejected) plus 残疾 from the roll; a program's rule is a column expression over the
whole roll, one per program (four programs, not one loop per student).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import polars as pl

from junheng.aid.match import MatchResult, match_lists
from junheng.aid.rules import AidRules, Condition, aid_rules
from junheng.domain.dataset import Dataset
from junheng.domain.fields import registry

# Stage of a pupil whose grade is missing, from the school type (multi-stage schools count as
# compulsory: every program that covers primary also covers junior).
_STAGE_BY_SCHOOL_TYPE = {
    "kindergarten": "preschool", "primary": "primary", "teaching_point": "primary",
    "nine_year": "primary", "special": "primary", "junior": "junior",
    "complete_secondary": "junior", "twelve_year": "junior", "senior": "senior",
}
HARDSHIP = "family_hardship"  # the category of a student qualified by the roll's level alone


@dataclass(frozen=True)
class AidResult:
    year: int
    rules_id: str
    match: MatchResult
    qualified: pl.DataFrame   # student_id, school_id, county_code, program, category, categories
    not_aided: pl.DataFrame   # student_id, school_id, county_code, category, categories, programs
    schools: pl.DataFrame     # coverage by school
    counties: pl.DataFrame    # coverage by county
    programs: dict[str, dict[str, Any]]  # program -> label, source, clause in force

    def to_json(self) -> dict[str, Any]:
        return {
            "year": self.year,
            "rules": self.rules_id,
            "programs": self.programs,
            "matches": self.match.matches.to_dicts(),
            "problems": self.match.problems.to_dicts(),
            "not_aided": self.not_aided.to_dicts(),
            "coverage": {"schools": self.schools.to_dicts(),
                         "counties": self.counties.to_dicts()},
        }


def _condition_expr(cond: Condition) -> list[pl.Expr]:
    parts: list[pl.Expr] = []
    if cond.categories:
        parts.append(pl.col("categories").list.set_intersection(list(cond.categories))
                     .list.len() > 0)
    if cond.hardship_level_min is not None:
        parts.append(pl.col("family_hardship_level").fill_null(0) >= cond.hardship_level_min)
    if cond.disabled:
        parts.append(pl.col("is_disabled_any"))
    return parts


def _category(categories: pl.Expr, hardship: pl.Expr) -> pl.Expr:
    """The first category in the registry's order (低保 before 特困 …), else the roll's
    hardship level, else none (a program open to every pupil, like rural meals)."""
    order = list(registry().enums["aid_category"])
    first = pl.coalesce([pl.when(categories.list.contains(c)).then(pl.lit(c)) for c in order])
    return (pl.coalesce(first, pl.when(hardship.fill_null(0) >= 1).then(pl.lit(HARDSHIP)))
            .alias("category"))


def evaluate_aid(ds: Dataset, year: int, rules: AidRules | None = None,
                 rejected: pl.DataFrame | None = None) -> AidResult:
    """Match, qualify and find the gap for school year ``year``.

    ``rejected``: matches a reviewer rejected (student_id, source, category); they are
    reported as matches no more and give no category."""
    rules = rules or aid_rules()
    day = dt.date(year, 9, 1)
    students = ds.table("students").filter(pl.col("year") == year)
    lists = ds.table("aid_lists").filter(pl.col("year") == year)
    match = match_lists(students, lists)
    if rejected is not None and rejected.height:
        match = MatchResult(match.matches.join(
            rejected.select("student_id", "source", "category"),
            on=["student_id", "source", "category"], how="anti"), match.problems)

    schools = ds.table("schools").select("school_id", "county_code", "school_type", "locale")
    stage_by_grade = pl.lit(None, pl.Utf8)
    for stage, (lo, hi) in rules.stage_by_grade.items():
        stage_by_grade = pl.when(pl.col("grade").is_between(lo, hi)).then(pl.lit(stage)) \
            .otherwise(stage_by_grade)
    roll = (students.select("student_id", "school_id", "grade", "is_disabled",
                            "family_hardship_level")
            .unique("student_id", keep="first")
            .join(schools, on="school_id", how="left")
            .join(match.student_categories(), on="student_id", how="left")
            .with_columns(pl.col("categories").fill_null(pl.lit([], pl.List(pl.Utf8))))
            .with_columns(
                pl.coalesce(stage_by_grade, pl.col("school_type").replace_strict(
                    _STAGE_BY_SCHOOL_TYPE, default=None, return_dtype=pl.Utf8)).alias("stage"),
                (pl.col("is_disabled").fill_null(False)
                 | pl.col("categories").list.contains("disabled")).alias("is_disabled_any")))

    program_info: dict[str, dict[str, Any]] = {}
    flags: list[pl.Expr] = []
    for program in rules.programs:
        found = rules.at(program, day)
        if found is None:
            continue
        elig, dated = found
        program_info[program] = {"label": registry().enums["aid_program"][program],
                                 "source": dated.source, "clause": dated.clause}
        cond = pl.col("stage").is_in(list(elig.stages)).fill_null(False)
        if elig.locales is not None:
            cond = cond & pl.col("locale").is_in(list(elig.locales)).fill_null(False)
        if elig.all_of is not None:
            for part in _condition_expr(elig.all_of):
                cond = cond & part
        if elig.any_of is not None:
            cond = cond & pl.any_horizontal(_condition_expr(elig.any_of))
        flags.append(cond.fill_null(False).alias(program))
    programs = list(program_info)
    roll = roll.with_columns(flags).with_columns(
        _category(pl.col("categories"), pl.col("family_hardship_level")))

    qualified = (roll.unpivot(index=["student_id", "school_id", "county_code", "category",
                                     "categories"], on=programs,
                              variable_name="program", value_name="qualifies")
                 .filter(pl.col("qualifies")).drop("qualifies")) if programs else \
        pl.DataFrame(schema={"student_id": pl.Utf8, "school_id": pl.Utf8,
                             "county_code": pl.Utf8, "category": pl.Utf8,
                             "categories": pl.List(pl.Utf8), "program": pl.Utf8})
    awards = (ds.table("aid_awards")
              .filter((pl.col("year") == year)
                      & (pl.col("amount_yuan").is_null() | (pl.col("amount_yuan") > 0)))
              .select("student_id", "program").unique())
    qualified = qualified.join(awards.with_columns(pl.lit(True).alias("aided")),
                               on=["student_id", "program"], how="left").with_columns(
        pl.col("aided").fill_null(False))
    not_aided = (qualified.filter(~pl.col("aided"))
                 .group_by("student_id", "school_id", "county_code", "category")
                 .agg(pl.col("categories").first(), pl.col("program").sort().alias("programs"))
                 .sort("county_code", "school_id", "student_id"))

    def coverage(keys: list[str]) -> pl.DataFrame:
        return (qualified.group_by(keys)
                .agg(pl.col("student_id").n_unique().alias("qualified_students"),
                     pl.len().alias("qualified_awards"),
                     pl.col("aided").sum().alias("aided_awards"),
                     pl.col("student_id").filter(~pl.col("aided")).n_unique()
                     .alias("not_aided_students"))
                .with_columns((pl.col("qualified_awards") - pl.col("aided_awards"))
                              .alias("gap_awards"))
                .sort(keys))

    return AidResult(year=year, rules_id=rules.id, match=match,
                     qualified=qualified.sort("county_code", "school_id", "student_id",
                                              "program"),
                     not_aided=not_aided, schools=coverage(["county_code", "school_id"]),
                     counties=coverage(["county_code"]), programs=program_info)


__all__ = ["AidResult", "evaluate_aid", "match_lists"]
