"""Admissions data for the web tests: areas, zones and plans of a county in the tiny Zhangye
dataset, and an application (with a proof file) of the test family."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
import sqlalchemy as sa

from junheng.domain.dataset import Dataset
from junheng.io.db import import_dataset
from junheng.web import admissions_models as am
from junheng.web.services import admissions as svc
from junheng.web.services.accounts import find_user

YEAR = 2026
# A PNG signature and a few bytes: what content sniffing recognises.
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def resident_id(born: str = "20200301", serial: str = "123") -> str:
    from junheng.io.validate import resident_id_check_char

    first = "620702" + born + serial
    return first + resident_id_check_char(first)


def add_county(engine, county: str) -> None:  # type: ignore[no-untyped-def]
    """Two areas, zones and plans for the county's schools (tiny: {county}0001..)."""
    schools = [f"{county}{i:04d}" for i in range(1, 4)]
    import_dataset(engine, Dataset.from_frames({
        "areas": pl.DataFrame({"area_id": [f"{county}-A1", f"{county}-A2"],
                               "area_name": ["城关社区", "河西村"],
                               "county_code": [county, county], "township": ["城关镇", "城关镇"],
                               "latitude": [38.93, 38.95], "longitude": [100.45, 100.47]}),
        "area_assignments": pl.DataFrame({
            "year": [YEAR, YEAR], "area_id": [f"{county}-A1", f"{county}-A2"],
            "stage": ["primary", "primary"], "school_id": [schools[0], schools[1]]}),
        "admission_plans": pl.DataFrame({
            "year": [YEAR] * 2, "school_id": schools[:2], "entry_stage": ["primary"] * 2,
            "seats": [1, 5]}),
    }))


def add_application(engine, county: str, username: str = "parent",  # type: ignore[no-untyped-def]
                    category: str = "hukou_house", area: str = "A1") -> tuple[int, str]:
    user = find_user(engine, username)
    assert user is not None
    form = svc.ApplicationForm(
        year=YEAR, county_code=county, entry_stage="primary", child_name="张小明",
        resident_id=resident_id(), hukou="甘州区", area_id=f"{county}-{area}", housing="own",
        has_residence_permit=False, category_claimed=category,
        choices=(f"{county}0001",))
    pk = svc.create_application(engine, user, form, None)
    file_id = svc.add_file(engine, user, pk, "hukou", "hukou.png", PNG)
    return pk, file_id


CATS = ("hukou_house", "house", "hukou", "migrant", "other")


def many_status(k: int) -> str:
    """The status of the k-th of ``add_many``'s applications: interleaved with arrival."""
    return ("submitted" if k % 19 == 5 else "returned" if k % 23 == 7
            else "rejected" if k % 17 == 3 else "approved")


def add_many(engine, county: str, n: int, username: str = "parent"  # type: ignore[no-untyped-def]
             ) -> list[dict[str, Any]]:
    """``n`` applications of one family in the county's round, inserted as the portal stores
    them: ids {YEAR}{county}T00000.., statuses by ``many_status``, claims and verified
    categories cycling through CATS (the verified one only once approved)."""
    user = find_user(engine, username)
    assert user is not None
    at = dt.datetime(YEAR, 6, 20, tzinfo=dt.UTC)
    rows = []
    for k in range(n):
        status = many_status(k)
        rows.append({
            "application_id": f"{YEAR}{county}T{k:05d}", "family_user_id": user.id,
            "idempotency_key": None, "year": YEAR, "county_code": county,
            "entry_stage": "primary", "child_name": f"张小{k}",
            "resident_id": resident_id("20200301", f"{k:03d}"), "hukou": "甘肃省张掖市甘州区",
            "area_id": f"{county}-A{1 + k % 2}", "housing": "own",
            "has_residence_permit": CATS[k % 5] == "migrant",
            "category_claimed": CATS[k % 5],
            "category_verified": CATS[(k // 5) % 5] if status == "approved" else None,
            "choices": f"{county}0001", "status": status, "return_reason": None,
            "submitted_at": at + dt.timedelta(minutes=k), "updated_at": at})
    with engine.begin() as conn:
        conn.execute(sa.insert(am.applications), rows)
    return rows
