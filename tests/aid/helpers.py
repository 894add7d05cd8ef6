"""Hand-made rolls and lists for the aid tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl

from junheng.domain.dataset import Dataset
from junheng.io.validate import resident_id_check_char

URBAN, RURAL = "6207020001", "6207020002"


def rid(first17: str) -> str:
    """A resident id with a correct check character."""
    return first17 + resident_id_check_char(first17)


def bad(first17: str) -> str:
    """The same id with a wrong check character."""
    good = rid(first17)
    return good[:17] + ("0" if good[17] != "0" else "1")


def student(sid: str, **kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"year": 2024, "student_id": sid, "school_id": URBAN, "grade": 3,
                            "resident_id": None, "name": None, "birth_date": None,
                            "is_disabled": None, "family_hardship_level": None}
    return {**base, **kw}


def listed(category: str, **kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"year": 2024, "source": "civil_affairs", "category": category,
                            "resident_id": None, "name": None, "birth_date": None}
    return {**base, **kw}


def dataset(students: list[dict[str, Any]], lists: list[dict[str, Any]],
            awards: list[dict[str, Any]] | None = None) -> Dataset:
    frames: dict[str, pl.DataFrame] = {
        "counties": pl.DataFrame({"county_code": ["620702"], "county_name": ["甘州区"]}),
        "schools": pl.DataFrame({
            "school_id": [URBAN, RURAL], "school_name": ["城区小学", "村小"],
            "county_code": ["620702", "620702"], "school_type": ["primary", "primary"],
            "ownership": ["public", "public"], "locale": ["urban", "rural"]}),
        "students": pl.DataFrame(students, schema_overrides={"birth_date": pl.Date,
                                                             "is_disabled": pl.Boolean,
                                                             "family_hardship_level": pl.Int64,
                                                             "resident_id": pl.Utf8,
                                                             "name": pl.Utf8}),
        "aid_lists": pl.DataFrame(lists, schema_overrides={"birth_date": pl.Date,
                                                           "resident_id": pl.Utf8,
                                                           "name": pl.Utf8}),
    }
    if awards is not None:
        frames["aid_awards"] = pl.DataFrame(awards, schema_overrides={
            "amount_yuan": pl.Float64})
    return Dataset.from_frames(frames)


D = dt.date(2015, 3, 8)
