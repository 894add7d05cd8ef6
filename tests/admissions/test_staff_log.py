"""What the admissions pages say about who did what, and in which year they open.

The logs name people by their display name (the account name only when there is none); what
families read names the office, never a staff account. Notes the portal writes itself are
stored as codes and worded per language when shown, and notes stored before that in plain
Chinese still read as they did. A staff page without a year opens on the county's latest round
or plan (the demo's 2025 entry), and with neither on the coming entry year."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator

import polars as pl
import pytest
import sqlalchemy as sa
from markupsafe import escape

from junheng.demo import generate
from junheng.domain.dataset import Dataset
from junheng.io.db import import_dataset, make_engine
from junheng.web import admissions_models as am
from junheng.web import models
from junheng.web.access import Role, User
from junheng.web.app import create_app
from junheng.web.database import prepare
from junheng.web.services import admissions as svc
from junheng.web.services.accounts import create_user, find_user
from junheng.web.settings import Settings
from tests.admissions.web_support import YEAR, add_application, add_county
from tests.web.conftest import PASSWORD, Site

COUNTY = "620702"
Q = {"county": COUNTY, "year": str(YEAR), "stage": "primary"}


def _user(site: Site, username: str) -> User:
    user = find_user(site.engine, username)  # type: ignore[arg-type]
    assert user is not None
    return user


def _rename(site: Site, username: str, display_name: str) -> None:
    with site.engine.begin() as conn:  # type: ignore[attr-defined]
        conn.execute(sa.update(models.users).where(models.users.c.username == username)
                     .values(display_name=display_name))


def _published_round(site: Site) -> tuple[int, str]:
    """An approved application of the test family, drawn, published and overridden to school
    0002 by Ganzhou's administrator; a plan set by the city administrator. Its pk and the
    name of the school it was moved to."""
    engine, data = site.engine, site.app.state.data  # type: ignore[attr-defined]
    add_county(engine, COUNTY)
    data.invalidate()
    ganzhou, city = _user(site, "ganzhou"), _user(site, "city")
    cat = svc.county_catalog(data, COUNTY, YEAR, "primary")
    svc.set_plan(engine, city, COUNTY, YEAR, "primary", f"{COUNTY}0003", 2, cat)
    data.invalidate()
    pk, _ = add_application(engine, COUNTY)
    svc.review(engine, ganzhou, pk, "approve", "", "hukou_house")
    svc.freeze(engine, ganzhou, COUNTY, YEAR, "primary", "报名截止")
    data.invalidate()
    svc.announce_seed(engine, ganzhou, COUNTY, YEAR, "primary", "seed-1", "")
    svc.draw(engine, ganzhou, COUNTY, YEAR, "primary", data.dataset())
    svc.publish(engine, ganzhou, COUNTY, YEAR, "primary", "")
    svc.override(engine, ganzhou, pk, f"{COUNTY}0002", "就近安置", data)
    return pk, cat.school_names[f"{COUNTY}0002"]


def _log(page: str, heading: str) -> str:
    """The log list after its heading (the last card of every admissions page)."""
    return page[page.index(heading):]


def test_logs_name_people_and_families_read_the_office(site: Site) -> None:
    _rename(site, "ganzhou", "王招生")
    _rename(site, "city", "")  # no display name: the account name stands in
    pk, school = _published_round(site)

    staff = site.login("ganzhou")
    log = _log(staff.get("/admissions", params=Q).text, "操作记录")
    assert "· 王招生 · 冻结名单并公布哈希 · 报名截止" in log
    assert "· city · 设置招生计划" in log
    assert "ganzhou" not in log
    log = _log(staff.get(f"/admissions/applications/{pk}").text, "办理记录")
    assert f"· 王招生 · 更改录取结果 · {escape(school)}：就近安置" in log
    assert "· 王招生 · 审核通过" in log and "ganzhou" not in log
    # The family's result and history: the office decided; no account, no staff name.
    family = site.login("parent")
    page = family.get(f"/family/applications/{pk}").text
    assert "人工调整录取" in page and "（经办人：区县教育局）" in page
    assert "ganzhou" not in page and "王招生" not in page and "city" not in page
    # The publication (JSON for verify, and the 公示 workbook's 经办人) names the office too.
    doc = json.loads(staff.get("/admissions/result.json", params=Q).text)
    assert [o["by"] for o in doc["overrides"]] == ["区县教育局"]
    with site.engine.connect() as conn:  # type: ignore[attr-defined]
        assert conn.execute(sa.select(am.overrides.c.by)).scalars().all() == ["区县教育局"]
        # The event rows keep the account they were written with.
        who = set(conn.execute(sa.select(am.events.c.username)).scalars())
    assert {"ganzhou", "city", "parent"} <= who
    # The city administrator's override is published as the city bureau's.
    svc.override(site.engine, _user(site, "city"), pk, f"{COUNTY}0003", "市级统筹",  # type: ignore[arg-type]
                 site.app.state.data)  # type: ignore[attr-defined]
    page = family.get(f"/family/applications/{pk}").text
    assert "（经办人：市教育局）" in page and "city" not in page


def test_coded_notes_are_worded_per_language(site: Site) -> None:
    pk, school = _published_round(site)
    with site.engine.connect() as conn:  # type: ignore[attr-defined]
        notes = dict(conn.execute(sa.select(am.events.c.action, am.events.c.reason)).all())
    assert json.loads(notes["file_added"]) == {"file": "hukou.png", "kind": "hukou"}
    names = svc.county_catalog(site.app.state.data, COUNTY, YEAR, "primary").school_names  # type: ignore[attr-defined]
    assert json.loads(notes["plan_set"]) == {"school": names[f"{COUNTY}0003"],
                                             "school_id": f"{COUNTY}0003", "seats": 2}
    assert json.loads(notes["override"]) == {"note": "就近安置", "school": school,
                                             "school_id": f"{COUNTY}0002"}
    staff = site.login("ganzhou")
    zh = _log(staff.get(f"/admissions/applications/{pk}").text, "办理记录")
    en = _log(staff.get(f"/admissions/applications/{pk}?lang=en").text, "History")
    assert "上传材料 · 户口簿: hukou.png" in zh
    assert "proof uploaded · household register (hukou): hukou.png" in en
    assert f"{escape(school)}：就近安置" in zh and f"{escape(school)}: 就近安置" in en
    plan = escape(names[f"{COUNTY}0003"])
    # (?lang= also sets the language cookie: each request names its language.)
    zh = _log(staff.get("/admissions", params={**Q, "lang": "zh"}).text, "操作记录")
    en = _log(staff.get("/admissions", params={**Q, "lang": "en"}).text, "Log")
    assert f"设置招生计划 · {plan}：2人" in zh and f"plan set · {plan}: 2 seats" in en
    assert "，种子 seed-1" in zh and ", seed seed-1" in en
    assert f"{COUNTY}0003" not in zh  # the school by its name, not its id
    # Round 2 with a typed note: the counts are worded, the note stays as typed.
    svc.round_two(site.engine, _user(site, "ganzhou"), COUNTY, YEAR, "primary", "期满",  # type: ignore[arg-type]
                  site.app.state.data.dataset())  # type: ignore[attr-defined]
    en = _log(staff.get("/admissions", params={**Q, "lang": "en"}).text, "Log")
    assert "0 placed in round 2, 0 still unplaced; 期满" in en


def test_notes_and_overrides_stored_before_codes_still_read(site: Site) -> None:
    """Rows as the portal wrote them before: Chinese notes, and the override's account name
    in adm_overrides.by and in the stored result's reason."""
    pk, school = _published_round(site)
    key = svc.round_key(COUNTY, YEAR, "primary")
    stamp = dt.datetime.now(dt.UTC)
    old = [(pk, None, "file_added", "户口簿: 旧照片.png"), (pk, None, "override", f"{school}：旧理由"),
           (None, key, "plan_set", f"{COUNTY}0002: 5"),
           (None, key, "drawn", "SHA-256 abc，种子 old-seed"),
           (None, key, "round2", "第二轮调剂录取1人，仍未录取0人；旧说明")]
    with site.engine.begin() as conn:  # type: ignore[attr-defined]
        conn.execute(sa.insert(am.events), [
            {"at": stamp, "application_pk": a, "round_key": r, "user_id": None,
             "username": "ganzhou", "action": action, "reason": reason}
            for a, r, action, reason in old])
        conn.execute(sa.update(am.overrides).values(by="ganzhou"))
        conn.execute(sa.update(am.results).where(am.results.c.override_by.is_not(None)).values(
            override_by="ganzhou", reason_zh=sa.func.replace(
                am.results.c.reason_zh, "（经办人：区县教育局）", "（经办人：ganzhou）")))
        stored = conn.execute(sa.select(am.results.c.reason_zh)
                              .where(am.results.c.override_by.is_not(None))).scalar_one()
    assert "（经办人：ganzhou）" in stored
    family = site.login("parent")
    zh = family.get(f"/family/applications/{pk}?lang=zh").text
    en = family.get(f"/family/applications/{pk}?lang=en").text
    assert "（经办人：区县教育局）" in zh and "ganzhou" not in zh and "ganzhou" not in en
    assert "户口簿: 旧照片.png" in zh and "household register (hukou): 旧照片.png" in en
    assert f"{escape(school)}：旧理由" in zh
    staff = site.login("ganzhou")
    zh = _log(staff.get("/admissions", params=Q).text, "操作记录")
    assert f"{escape(school)}：5人" in zh  # an old plan note, by the school's name
    assert "SHA-256 abc，种子 old-seed" in zh and "第二轮调剂录取1人，仍未录取0人；旧说明" in zh
    doc = json.loads(staff.get("/admissions/result.json", params=Q).text)
    assert [o["by"] for o in doc["overrides"]] == ["区县教育局"]
    assert "ganzhou" not in json.dumps(doc, ensure_ascii=False)


def test_event_reason_of_each_form() -> None:
    names = {"S1": "一小"}
    e = {"action": "file_added", "reason": svc.coded(kind="residence_permit", file="a.pdf")}
    assert svc.event_reason(e, "zh") == "居住证: a.pdf"
    assert svc.event_reason(e, "en") == "residence permit: a.pdf"
    e = {"action": "plan_set", "reason": svc.coded(school_id="S1", school="旧名", seats=3)}
    assert svc.event_reason(e, "zh", names) == "一小：3人"
    assert svc.event_reason(e, "en", {}) == "旧名: 3 seats"  # the name stored with it
    # Typed notes stay as typed, even one that looks like a code.
    for action in ("return", "reject", "approve", "frozen", "published", "seed_announced"):
        assert svc.event_reason({"action": action, "reason": '{"kind": "hukou"}'}, "en") \
            == '{"kind": "hukou"}'
    assert svc.event_reason({"action": "override", "reason": "一小：理由"}, "en") == "一小：理由"
    assert svc.event_reason({"action": "file_added", "reason": None}, "en") == ""


def test_staff_pages_open_on_the_latest_round_or_plan(site: Site) -> None:
    add_county(site.engine, COUNTY)  # type: ignore[arg-type]
    site.app.state.data.invalidate()  # type: ignore[attr-defined]
    staff = site.login("ganzhou")
    # Plans for YEAR (primary only): that year.
    assert f'name="year" value="{YEAR}"' in staff.get("/admissions").text
    # No round and no plan for the junior stage: the coming entry year.
    junior = staff.get("/admissions", params={"stage": "junior"}).text
    assert f'name="year" value="{svc.entry_year()}"' in junior
    # A later round (frozen, no plan yet) is the latest.
    svc.freeze(site.engine, _user(site, "ganzhou"), COUNTY, YEAR + 2, "primary", "")  # type: ignore[arg-type]
    page = staff.get("/admissions").text
    assert f'name="year" value="{YEAR + 2}"' in page and 'id="list-hash"' in page
    # Another county's rounds do not count.
    linze = site.login("linze")
    assert f'name="year" value="{svc.entry_year()}"' in linze.get("/admissions").text


def _coming_entry_year() -> int:
    """Worked out here from the date in Beijing, not by the code under test: school starts
    on 1 September, so from then on the coming entry is next year's."""
    from zoneinfo import ZoneInfo

    today = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()
    return today.year + (1 if today.month >= 9 else 0)


def test_a_family_applies_for_the_coming_entry_year(site: Site) -> None:
    """The family form without a year is for the coming entry year (the one the staff pages
    fall back to, by the same rule), whatever the county's latest plan; what the family sends
    for it opens the county's staff page on that year, even before the year has a plan."""
    from tests.admissions.web_support import resident_id
    from tests.web.conftest import csrf_from

    add_county(site.engine, COUNTY)  # type: ignore[arg-type]
    site.app.state.data.invalidate()  # type: ignore[attr-defined]
    coming = _coming_entry_year()
    fam = site.login("parent")
    form = fam.get("/family/apply", params={"county": COUNTY}).text
    assert form.count(f'name="year" value="{coming}"') == 2  # the county picker and the form
    assert f"{coming} 学年" in form
    # The address may still name a year (a link to a given round).
    assert f'name="year" value="{YEAR}"' in fam.get(
        "/family/apply", params={"county": COUNTY, "year": YEAR}).text
    staff = site.login("ganzhou")
    assert f'name="year" value="{YEAR}"' in staff.get("/admissions").text  # the plan's year
    # A child of the entry age (6 on 31 August of the coming year) applies without a choice.
    sent = fam.post("/family/apply", data={
        "csrf_token": csrf_from(form), "idempotency_key": "coming", "year": str(coming),
        "county_code": COUNTY, "entry_stage": "primary", "child_name": "李小红",
        "resident_id": resident_id(f"{coming - 6}0301", "456"), "area_id": f"{COUNTY}-A1",
        "housing": "own", "category_claimed": "hukou_house"})
    assert sent.status_code == 303, sent.text[:2000]
    page = staff.get("/admissions").text
    assert f'name="year" value="{coming}"' in page and escape(svc.mask_name("李小红")) in page
    # A later year typed into the address is refused (test_staff_list); one stored for a
    # later year all the same (sent before families were held to the open years) does not
    # move the page.
    later = fam.post("/family/apply", data={
        "csrf_token": csrf_from(form), "idempotency_key": "later", "year": str(coming + 3),
        "county_code": COUNTY, "entry_stage": "primary", "child_name": "李小刚",
        "resident_id": resident_id(f"{coming - 3}0301", "457"), "area_id": f"{COUNTY}-A1",
        "housing": "own", "category_claimed": "hukou_house"})
    assert later.status_code == 400 and f"{coming + 3}学年不受理入学申请" in later.text
    svc.create_application(site.engine, _user(site, "parent"), svc.ApplicationForm(  # type: ignore[arg-type]
        year=coming + 3, county_code=COUNTY, entry_stage="primary", child_name="李小刚",
        resident_id=resident_id(f"{coming - 3}0301", "457"), hukou="", area_id=f"{COUNTY}-A1",
        housing="own", has_residence_permit=False, category_claimed="hukou_house",
        choices=()), None)
    assert f'name="year" value="{coming}"' in staff.get("/admissions").text


def test_the_coming_entry_year_turns_on_1_september() -> None:
    assert svc.entry_year() == _coming_entry_year()
    assert svc.entry_year(dt.date(2026, 3, 1)) == 2026
    assert svc.entry_year(dt.date(2026, 8, 31)) == 2026
    assert svc.entry_year(dt.date(2026, 9, 1)) == 2027
    assert svc.entry_year(dt.date(2026, 12, 31)) == 2027


@pytest.fixture(scope="module")
def demo_ds() -> Dataset:
    return generate(0)


@pytest.fixture
def demo_site(db_url: str, demo_ds: Dataset) -> Iterator[Site]:
    engine = make_engine(db_url)
    prepare(engine)
    import_dataset(engine, demo_ds)
    create_user(engine, "ganzhou", PASSWORD, Role.COUNTY_ADMIN, county_code=COUNTY,
                must_change_password=False)
    settings = Settings(database_url=db_url, secret_key="test-secret")
    yield Site(create_app(settings, engine), engine, settings)
    engine.dispose()


def test_the_demo_opens_on_its_entry_year(demo_site: Site, demo_ds: Dataset) -> None:
    """The demo's plans are for 2025 entry; the page without a year shows that round, with
    the county's plan, whatever today's date."""
    entry = int(demo_ds["admission_plans"]["year"].max())  # type: ignore[arg-type]
    assert entry == 2025
    page = demo_site.login("ganzhou").get("/admissions").text
    assert f"入学招生 · {entry} ·" in page and f'name="year" value="{entry}"' in page
    planned = (demo_ds["admission_plans"].join(demo_ds["schools"], on="school_id")
               .filter((pl.col("county_code") == COUNTY) & (pl.col("entry_stage") == "primary")))
    assert planned.height > 0
    assert all(escape(n) in page for n in planned["school_name"])


def test_the_demo_families_are_where_the_staff_pages_read(demo_site: Site, demo_ds: Dataset,
                                                           db_url: str) -> None:
    """After the quick start's import, ``junheng demo-families`` puts the demo's applications
    (with their synthetic children) into the portal: the county official's round is not
    empty, names are masked, three per county and stage await review, and approving those as
    claimed and freezing writes back the very list the workbook holds (same hash)."""
    from junheng.admissions.notary import freeze as freeze_list
    from junheng.cli import main
    from junheng.web.services.admissions_demo import TO_REVIEW

    staff = demo_site.login("ganzhou")
    assert "申请（0）" in staff.get("/admissions").text  # the exchange table alone: empty
    assert main(["demo-families", "--db", db_url]) == 0
    assert main(["demo-families", "--db", db_url]) == 0  # a second run writes nothing
    mine = demo_ds["applications"].filter((pl.col("county_code") == COUNTY)
                                          & (pl.col("entry_stage") == "primary"))
    apps = svc.county_applications(demo_site.engine, COUNTY, 2025, "primary")  # type: ignore[arg-type]
    assert len(apps) == mine.height > 0
    waiting = [a for a in apps if a["status"] == "submitted"]
    assert len(waiting) == TO_REVIEW
    assert all(a["status"] == "approved" for a in apps if a not in waiting)
    page = staff.get("/admissions").text
    assert f"申请（{mine.height}）" in page
    first = apps[0]
    assert escape(svc.mask_name(first["child_name"])) in page
    assert escape(first["child_name"]) not in page and first["resident_id"] not in page
    # The review page: the child in full, what the family sent, and the log.
    review = staff.get(f"/admissions/applications/{waiting[0]['id']}").text
    assert escape(waiting[0]["child_name"]) in review and "演示家庭" in review
    # Another county's official sees none of them.
    with pytest.raises(svc.Denied):
        svc.get_application(demo_site.engine,  # type: ignore[arg-type]
                            User(0, "x", "x", Role.COUNTY_ADMIN, "620723", None, False),
                            first["id"])
    ganzhou = _user(demo_site, "ganzhou")
    for a in waiting:
        svc.review(demo_site.engine, ganzhou, a["id"], "approve", "", None)  # type: ignore[arg-type]
    sha = svc.freeze(demo_site.engine, ganzhou, COUNTY, 2025, "primary", "")  # type: ignore[arg-type]
    assert sha == freeze_list(demo_ds["applications"], COUNTY, 2025, "primary").sha256
