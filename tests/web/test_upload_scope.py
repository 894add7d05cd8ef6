"""Uploads by a county administrator or a school clerk write only their own rows.

Scope is judged on the new row AND on the stored row it would replace, for every table of the
field registry (issue 14, findings 1 and 2). The suite below is generated from the registry:
a table added without an owner rule fails it, and a new table gets its hostile rows built for
it.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import update

from junheng.domain.dataset import Dataset
from junheng.domain.fields import Table, registry
from junheng.io.db import import_dataset, load_dataset
from junheng.io.problems import ValidationFailed
from junheng.io.writers import write_dataset
from junheng.web import models
from junheng.web.access import Role, User
from junheng.web.services import uploads
from junheng.web.services.scope import Writer, scope_problems
from tests.web.conftest import Site, csrf_from
from tests.web.scope_rows import STORED_YEAR, Place, area_id, one_table, row, stored_rows

GANZHOU, MINLE = "620702", "620722"  # county A (the uploader's) and county B
A1, A2, B1 = "6207020001", "6207020002", "6207220001"
PLACES = {
    "A1": Place(GANZHOU, A1, area_id(GANZHOU), salt=0),
    "A2": Place(GANZHOU, A2, area_id(GANZHOU), salt=0),
    "B1": Place(MINLE, B1, area_id(MINLE), salt=0),
}
COUNTY_ADMIN = User(900, "ganzhou-suite", "甘州区管理员", Role.COUNTY_ADMIN, GANZHOU, None, False)
CLERK = User(901, "clerk-suite", "甘州区第1学校填报员", Role.SCHOOL_CLERK, None, A1, False)


@pytest.fixture
def site(site: Site) -> Site:
    from junheng.web.services.accounts import create_user
    from tests.web.conftest import PASSWORD

    create_user(site.engine, "minle", PASSWORD, Role.COUNTY_ADMIN,  # type: ignore[arg-type]
                county_code=MINLE, must_change_password=False)
    return site


def _snapshot(site: Site) -> dict[str, pl.DataFrame]:
    ds = load_dataset(site.engine)  # type: ignore[arg-type]
    return {t: ds.table(t) for t in ds}


def _unchanged(site: Site, before: dict[str, pl.DataFrame]) -> list[str]:
    after = _snapshot(site)
    return [t for t in before if not before[t].equals(after.get(t, pl.DataFrame()))]


def _post(site: Site, who: str, path: Path) -> str:
    c = site.login(who)
    token = csrf_from(c.get("/data").text)
    r = c.post("/data/upload", data={"csrf_token": token},
               files={"file": (path.name, path.read_bytes())}, follow_redirects=True)
    assert r.status_code == 200
    return r.text


def _stage(site: Site, user: User, ds: Dataset, path: Path) -> uploads.Staged:
    write_dataset(ds, path)
    data = site.app.state.data  # type: ignore[attr-defined]
    return uploads.stage(site.engine, data, user, path.name, path.read_bytes())  # type: ignore[arg-type]


def _force_confirm(site: Site, user: User, staged: uploads.Staged,
                   path: Path) -> uploads.ImportOutcome:
    """Confirm even though staging refused (the refused file put back as if it had passed):
    the confirm step must refuse on its own."""
    with site.engine.begin() as conn:  # type: ignore[attr-defined]
        conn.execute(update(models.uploads).where(models.uploads.c.id == staged.id)
                     .values(status="valid", content=path.read_bytes()))
    again = uploads.get(site.engine, staged.id)  # type: ignore[arg-type]
    assert again is not None
    data = site.app.state.data  # type: ignore[attr-defined]
    return uploads.import_staged(site.engine, data, again, user)  # type: ignore[arg-type]


# --- the findings as the review reported them ----------------------------------------------

def test_county_admin_cannot_take_over_another_countys_school(site: Site,
                                                              tmp_path: Path) -> None:
    """Finding 1: 甘州区's administrator uploads 民乐's school 6207220001 with county 620702."""
    ds = load_dataset(site.engine)  # type: ignore[arg-type]
    school = ds.table("schools").filter(pl.col("school_id") == B1).with_columns(
        pl.lit(GANZHOU).alias("county_code"))
    this = (pl.col("school_id") == B1) & (pl.col("year") == STORED_YEAR)
    upload = Dataset({"counties": ds.table("counties").filter(pl.col("county_code") == GANZHOU),
                      "schools": school, "sections": ds.table("sections").filter(this),
                      "facilities": ds.table("facilities").filter(this)})
    write_dataset(upload, tmp_path / "takeover.xlsx")
    before = _snapshot(site)
    page = _post(site, "ganzhou", tmp_path / "takeover.xlsx")
    assert 'id="confirm-import"' not in page
    assert "6207220001" in page and "民乐县" in page and "不属于本区县" in page
    staged = _stage(site, COUNTY_ADMIN, upload, tmp_path / "takeover2.xlsx")
    assert staged.status == "invalid"
    where = {(p["sheet"], p["row"], p["column"]) for p in staged.problems}
    assert ("schools", 2, "学校标识码(school_id)") in where, staged.problems
    assert ("sections", 2, "学校标识码(school_id)") in where
    assert ("facilities", 2, "学校标识码(school_id)") in where
    assert not _force_confirm(site, COUNTY_ADMIN, staged, tmp_path / "takeover2.xlsx").ok
    assert _unchanged(site, before) == []
    # 民乐's administrator still owns the school; 甘州区's still cannot see it.
    assert site.login("minle").get(f"/school/{B1}").status_code == 200
    assert site.login("ganzhou").get(f"/school/{B1}").status_code == 403


def _people(site: Site) -> None:
    """A 民乐 teacher and student with personal data, stored by the city administrator."""
    import_dataset(site.engine, Dataset({  # type: ignore[arg-type]
        "teachers": one_table("teachers", [row(registry().table("teachers"), PLACES["B1"])]
                              ).table("teachers"),
        "students": one_table("students", [{
            **row(registry().table("students"), PLACES["B1"]), "is_disabled": True,
            "disability_placement": "regular_class"}]).table("students")}))


def test_county_admin_cannot_overwrite_another_countys_teachers_and_students(
        site: Site, tmp_path: Path) -> None:
    """Finding 2: a teachers row reusing a 民乐 teacher_id with a 甘州区 school_id, and a
    students row reusing a 民乐 student_id (which would blank 身份证号 and 残疾)."""
    _people(site)
    stored = load_dataset(site.engine)  # type: ignore[arg-type]
    teacher = stored.table("teachers").with_columns(pl.lit(A1).alias("school_id"))
    student = stored.table("students").with_columns(
        pl.lit(A1).alias("school_id"), pl.lit(None, dtype=pl.Utf8).alias("resident_id"),
        pl.lit(None, dtype=pl.Boolean).alias("is_disabled"),
        pl.lit(None, dtype=pl.Utf8).alias("disability_placement"))
    before = _snapshot(site)
    for tid, frame, key in (("teachers", teacher, "教师编号(teacher_id)"),
                            ("students", student, "学籍号(student_id)")):
        upload = Dataset({tid: frame})
        write_dataset(upload, tmp_path / f"{tid}.xlsx")
        page = _post(site, "ganzhou", tmp_path / f"{tid}.xlsx")
        assert 'id="confirm-import"' not in page, tid
        assert "已有记录" in page and "民乐县" in page, tid
        staged = _stage(site, COUNTY_ADMIN, upload, tmp_path / f"{tid}-2.xlsx")
        assert staged.status == "invalid"
        assert (tid, 2, key) in {(p["sheet"], p["row"], p["column"]) for p in staged.problems}
        assert not _force_confirm(site, COUNTY_ADMIN, staged, tmp_path / f"{tid}-2.xlsx").ok
    assert _unchanged(site, before) == []
    kept = load_dataset(site.engine).table("students")  # type: ignore[arg-type]
    assert kept["resident_id"].to_list() == stored.table("students")["resident_id"].to_list()
    assert kept["is_disabled"].to_list() == [True]


def test_refused_inside_the_import_transaction(site: Site) -> None:
    """The check also runs after the import lock is taken, on the rows as stored then: a
    refusal there writes nothing."""
    _people(site)
    stored = load_dataset(site.engine)  # type: ignore[arg-type]
    takeover = Dataset({"teachers": stored.table("teachers").with_columns(
        pl.lit(A1).alias("school_id"))})
    before = _snapshot(site)
    with pytest.raises(ValidationFailed) as exc:
        import_dataset(site.engine, takeover, check=lambda conn: scope_problems(  # type: ignore[arg-type]
            conn, takeover, Writer(county=GANZHOU), "x.xlsx"))
    assert any(p.sheet == "teachers" and "民乐县" in p.message_zh for p in exc.value.problems)
    assert _unchanged(site, before) == []


# --- the suite generated from the registry -----------------------------------------------

def test_every_table_has_an_owner_rule() -> None:
    """A table added to the registry must say whose its rows are (``owner``), or no county
    administrator or clerk could be kept to their own rows in it."""
    missing = [t.id for t in registry().tables if t.owner is None]
    assert missing == [], f"tables without an owner rule in format-v1.yaml: {missing}"


def _located(staged: uploads.Staged, table: Table, column: str | None) -> bool:
    for p in staged.problems:
        if p["sheet"] != table.id or p["row"] != 2:
            continue
        if column is None or p["column"] == f"{table.column(column).label}({column})":
            return True
    return False


def _switch(table: Table, base: dict[str, object], column: str, kind: str,
            to: Place) -> dict[str, object]:
    value = {"county": to.county, "school": to.school, "area": to.area}[kind]
    return {**base, column: value}


@pytest.fixture
def suite_site(site: Site) -> Site:
    import_dataset(site.engine, stored_rows(list(PLACES.values())))  # type: ignore[arg-type]
    return site


@pytest.mark.parametrize("who", ["county_admin", "clerk"])
def test_upload_scope_suite(suite_site: Site, tmp_path: Path, who: str) -> None:
    """For every table, as 甘州区's administrator (or the clerk of 甘州区 school 0001): a row of
    one's own is accepted; a new row naming another county (school) in any owner column, and a
    row reusing the key of another county's (school's) stored row, are refused with a located
    message, at staging and at confirming, and nothing is written."""
    site = suite_site
    user = COUNTY_ADMIN if who == "county_admin" else CLERK
    mine, theirs = PLACES["A1"], PLACES["B1"] if who == "county_admin" else PLACES["A2"]
    before = _snapshot(site)
    failures: list[str] = []
    accepted: list[uploads.Staged] = []
    n = 0
    for table in registry().tables:
        assert table.owner is not None, table.id
        writable = table.owner.level == "school" or (
            table.owner.level == "county" and who == "county_admin")
        cases: list[tuple[str, dict[str, object], str | None]] = []
        own = row(table, mine.fresh(salt=7))
        registers_schools = len(table.key) == 1 and dict(table.owner.by).get(
            table.key[0]) == "school"
        if who == "clerk" and registers_schools:
            own = row(table, mine)  # a clerk updates the own school; registers none
        if not writable:
            cases.append(("whole table", own, None))
        else:
            n += 1
            staged = _stage(site, user, one_table(table.id, [own]), tmp_path / f"{n}.xlsx")
            if staged.status != "valid":
                failures.append(f"{table.id}: own row refused: {staged.problems}")
            accepted.append(staged)
            for col, kind in table.owner.by:
                # A clerk is kept to one school, but a county code names the county only.
                to = PLACES["B1"] if kind != "school" else theirs
                cases.append((f"new row, {col} -> {to.county}/{to.school}",
                              _switch(table, own, col, kind, to), col))
            stored = row(table, theirs)
            reuse = {**stored}
            for col, kind in table.owner.by:
                if col not in table.replace_by:
                    reuse = _switch(table, reuse, col, kind, mine)
            cases.append(("stored key of another owner", reuse, "" if table.replace_by else None))
        for label, hostile, column in cases:
            n += 1
            staged = _stage(site, user, one_table(table.id, [hostile]), tmp_path / f"{n}.xlsx")
            if staged.status != "invalid":
                failures.append(f"{table.id} ({label}): accepted")
                continue
            if column == "":  # the stored-row refusal names the key column that matched
                located = any(p["sheet"] == table.id and p["row"] == 2 and p["column"]
                              for p in staged.problems)
            else:
                located = _located(staged, table, column)
            if not located:
                failures.append(f"{table.id} ({label}): not located: {staged.problems}")
            if not all(p["message_zh"] and p["message_en"] for p in staged.problems):
                failures.append(f"{table.id} ({label}): message not bilingual")
            # Confirming checks again (once per table is enough: it is the same check).
            if label.startswith("stored") and _force_confirm(site, user, staged,
                                                             tmp_path / f"{n}.xlsx").ok:
                failures.append(f"{table.id} ({label}): imported on confirm")
    assert failures == [], "\n".join(failures)
    assert _unchanged(site, before) == []
    # The own rows pass the check inside the import transaction too.
    data = site.app.state.data  # type: ignore[attr-defined]
    for staged in accepted:
        outcome = uploads.import_staged(site.engine, data, staged, user)  # type: ignore[arg-type]
        assert outcome.ok, uploads.get(site.engine, staged.id)  # type: ignore[arg-type]
