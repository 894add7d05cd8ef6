"""The demo's families in the admissions portal (``junheng demo-families``).

The demo workbook carries the exchange table ``applications`` only (pseudonymous ids): the
children behind them (name, 身份证号, claimed category, housing, 居住证) are the portal's personal
data and are never written to a file. The staff pages read the portal's own tables, so on a
demo site with the workbook imported a county official would open an empty round. This puts
the same applications, with their synthetic children, into the portal, as a family would have
sent them and a county verified them:

- each keeps its id, area, choices, submission time and claimed category; its verified
  category is the one the exchange table carries, so freezing the round writes back exactly
  the rows that were imported (the same list hash as ``junheng admissions allocate`` on the
  workbook, once the few left for review are approved as claimed);
- all are approved (the log says the demo loaded them so), except the first three of each
  county and entry stage whose claim is what the county verified: they await review, so the
  whole workflow (review, freeze, seed, draw, publish, round 2) can be tried;
- they belong to one family account that cannot sign in (inactive, no password, not a phone
  number): sixteen thousand accounts would bury the user list, and nobody can act for a
  synthetic family anyway. To try the family's side, register a family on the site.

The staff pages show them like any other application: names masked in lists, full only on the
review page (which is logged). Nothing here touches the allocation.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import polars as pl
from sqlalchemy import func, insert, select
from sqlalchemy.engine import Connection, Engine

from junheng.demo.admissions import DemoAdmissions
from junheng.web import admissions_models as am
from junheng.web import models
from junheng.web.access import Role
from junheng.web.security import now
from junheng.web.services.admissions import AdmissionsError, round_key

HOLDER = "demo-families"  # not a phone number: no family can register or activate it
HOLDER_NAME = "演示家庭（合成数据）"
TO_REVIEW = 3  # per county and entry stage
EXCHANGE_COLUMNS = ("year", "application_id", "county_code", "entry_stage", "area_id",
                    "category", "choice_1", "choice_2", "choice_3", "choice_4", "choice_5",
                    "submitted_at")


@dataclass(frozen=True)
class Loaded:
    approved: int
    to_review: int
    already: bool = False


def load_demo_families(engine: Engine, demo: DemoAdmissions,
                       imported: pl.DataFrame) -> Loaded:
    """Put the demo's applications into the portal. ``imported``: the database's exchange
    table ``applications``; it must hold the demo's rows as generated (the same seed and
    years), or nothing is written. A second run writes nothing."""
    apps = demo.applications
    if _holder_applications(engine) > 0:
        return Loaded(0, 0, already=True)
    _check_imported(apps, imported)
    _check_rounds_open(engine, apps)
    rows = (apps.join(demo.applicants, on="application_id", how="inner")
            .sort("county_code", "entry_stage", "application_id"))
    same = pl.col("category_claimed") == pl.col("category_verified")
    review = (rows.filter(same).group_by("county_code", "entry_stage", maintain_order=True)
              .head(TO_REVIEW)["application_id"])
    rows = rows.with_columns(pl.col("application_id").is_in(review.implode()).alias("review"))
    stamp = now()
    beijing = ZoneInfo("Asia/Shanghai")
    with engine.begin() as conn:
        holder = _holder(conn, stamp)
        values = []
        for r in rows.iter_rows(named=True):
            at = r["submitted_at"].replace(tzinfo=beijing).astimezone(dt.UTC)
            choices = [r[f"choice_{k}"] for k in range(1, 6) if r[f"choice_{k}"]]
            values.append({
                "application_id": r["application_id"], "family_user_id": holder,
                "idempotency_key": None, "year": r["year"], "county_code": r["county_code"],
                "entry_stage": r["entry_stage"], "child_name": r["child_name"],
                "resident_id": r["resident_id"], "hukou": r["hukou"], "area_id": r["area_id"],
                "housing": r["housing"], "has_residence_permit": r["has_residence_permit"],
                "category_claimed": r["category_claimed"],
                "category_verified": None if r["review"] else r["category"],
                "choices": ",".join(choices),
                "status": "submitted" if r["review"] else "approved", "return_reason": None,
                "submitted_at": at, "updated_at": at if r["review"] else stamp})
        conn.execute(insert(am.applications), values)
        pks = dict(conn.execute(select(am.applications.c.application_id, am.applications.c.id)
                                .where(am.applications.c.family_user_id == holder)).all())
        events = []
        for v in values:
            events.append({"at": v["submitted_at"], "application_pk": pks[v["application_id"]],
                           "round_key": None, "user_id": holder, "username": HOLDER,
                           "action": "submitted", "reason": None})
            if v["status"] == "approved":
                events.append({"at": stamp, "application_pk": pks[v["application_id"]],
                               "round_key": None, "user_id": None, "username": None,
                               "action": "demo_approved", "reason": None})
        conn.execute(insert(am.events), events)
    waiting = int(rows["review"].sum())
    return Loaded(rows.height - waiting, waiting)


def _holder_applications(engine: Engine) -> int:
    u, a = models.users, am.applications
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(a).join(
            u, u.c.id == a.c.family_user_id).where(u.c.username == HOLDER)).scalar_one())


def _holder(conn: Connection, stamp: dt.datetime) -> int:
    found = conn.execute(select(models.users.c.id).where(
        models.users.c.username == HOLDER)).scalar()
    if found is not None:
        return int(found)
    key = conn.execute(insert(models.users).values(
        username=HOLDER, display_name=HOLDER_NAME, password_hash="!", role=Role.PARENT.value,
        county_code=None, school_id=None, must_change_password=False, is_active=False,
        created_at=stamp)).inserted_primary_key
    assert key is not None
    return int(key[0])


def _check_imported(apps: pl.DataFrame, imported: pl.DataFrame) -> None:
    """The database holds the demo's exchange rows as generated: otherwise the portal would
    hold applications the data does not know, or other children behind the same ids."""
    mine = imported.filter(pl.col("application_id").is_in(apps["application_id"].implode()))
    cols = list(EXCHANGE_COLUMNS)
    if mine.height == 0:
        raise AdmissionsError(
            "数据库中没有演示数据的入学申请：请先 junheng import 演示数据",
            "the database has none of the demo's applications: junheng import the demo first")
    same = (mine.height == apps.height and mine.select(cols).sort("application_id").equals(
        apps.select(cols).cast(mine.select(cols).schema).sort("application_id")))
    if not same:
        raise AdmissionsError(
            "数据库中的入学申请与这份演示数据不同：请用导入时的 --seed 和 --years",
            "the database's applications differ from this demo: use the --seed and --years "
            "the imported demo was made with")


def _check_rounds_open(engine: Engine, apps: pl.DataFrame) -> None:
    keys = sorted({round_key(c, y, s) for y, c, s in apps.select(
        "year", "county_code", "entry_stage").unique().iter_rows()})
    with engine.connect() as conn:
        closed = conn.execute(select(am.rounds.c.round_key).where(
            am.rounds.c.round_key.in_(keys) & (am.rounds.c.status != "open"))).first()
    if closed is not None:
        raise AdmissionsError(f"招生轮次 {closed.round_key} 已冻结，不能再加入申请",
                              f"the round {closed.round_key} is frozen: no applications added")
