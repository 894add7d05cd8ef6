"""The admissions portal end to end through the web app, on every backend: a family registers
with a one-time code, applies, uploads proofs; staff review, freeze, announce the seed, draw
and publish; the family reads its explained result. A family never reaches another family's
application, file or result, on any route; bad uploads are refused."""

from __future__ import annotations

import io
import json
import logging
import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from junheng.cli import main
from junheng.web import admissions_models as am
from junheng.web.services import admissions as svc
from tests.admissions.web_support import PNG, YEAR, add_application, add_county, resident_id
from tests.web.conftest import PASSWORD, Site, csrf_from

COUNTY = "620702"


def _register(site: Site, phone: str, caplog: pytest.LogCaptureFixture):  # type: ignore[no-untyped-def]
    c = site.client()
    page = c.get("/family/register")
    assert page.status_code == 200 and "手机号码" in page.text
    with caplog.at_level(logging.WARNING, logger="junheng.admissions"):
        r = c.post("/family/register", data={"phone": phone, "password": PASSWORD,
                                             "name": "张三", "csrf_token": csrf_from(page.text)})
    assert r.status_code == 303, r.text
    code = re.findall(rf"code for {phone} is (\d{{6}})", caplog.text)[-1]
    # A second request within the minute sends nothing (no flooding, no fresh tries).
    again = c.post("/family/register", data={"phone": phone, "password": PASSWORD,
                                             "csrf_token": csrf_from(c.get("/family/register").text)})
    assert again.status_code == 400 and "1分钟" in again.text
    page = c.get(r.headers["location"])
    assert "开发环境" in page.text  # the development sender is clearly marked
    # A wrong code does not activate the account; the right one does.
    bad = c.post("/family/verify", data={"phone": phone, "code": "000000" if code != "000000"
                                         else "111111", "csrf_token": csrf_from(page.text)})
    assert bad.status_code == 400
    from tests.web.conftest import login

    assert login(site.client(), phone, PASSWORD).status_code == 401  # not active yet
    ok = c.post("/family/verify", data={"phone": phone, "code": code,
                                        "csrf_token": csrf_from(bad.text)})
    assert ok.status_code == 303
    return site.login(phone)


def _apply_form(**over: str) -> dict[str, str]:
    form = {"year": str(YEAR), "county_code": COUNTY, "entry_stage": "primary",
            "child_name": "李小红", "resident_id": resident_id("20191120", "456"),
            "hukou": "甘州区", "area_id": f"{COUNTY}-A1", "housing": "own",
            "category_claimed": "hukou_house", "choice_1": f"{COUNTY}0001",
            "idempotency_key": "k-" + over.get("idempotency_key", "1")}
    form.update(over)
    return form


def test_family_applies_and_staff_run_the_round(site: Site, caplog: pytest.LogCaptureFixture,
                                               tmp_path: Path, db_url: str) -> None:
    add_county(site.engine, COUNTY)
    site.app.state.data.invalidate()  # type: ignore[attr-defined]
    fam = _register(site, "13800000001", caplog)
    assert fam.get("/").headers["location"] == "/family"
    page = fam.get(f"/family/apply?county={COUNTY}&year={YEAR}")
    assert page.status_code == 200 and "城关社区" in page.text
    token = csrf_from(page.text)
    # The 身份证号 is checked at once: a wrong check digit and a child too young are named.
    rid = resident_id("20191120", "456")
    wrong = rid[:17] + ("0" if rid[17] != "0" else "1")
    r = fam.post("/family/apply", data=_apply_form(resident_id=wrong), headers={
        "X-CSRF-Token": token})
    assert r.status_code == 400 and "校验码" in r.text
    r = fam.post("/family/apply", data=_apply_form(resident_id=resident_id("20230101", "111")),
                 headers={"X-CSRF-Token": token})
    assert r.status_code == 400 and "周岁" in r.text
    # Submitted twice with the same idempotency key: one application.
    first = fam.post("/family/apply", data=_apply_form(), headers={"X-CSRF-Token": token})
    again = fam.post("/family/apply", data=_apply_form(), headers={"X-CSRF-Token": token})
    assert first.status_code == again.status_code == 303
    assert first.headers["location"] == again.headers["location"]
    url = first.headers["location"]
    pk = int(url.rsplit("/", 1)[-1])
    # The same child again (a new key): refused, one child has one lottery ticket.
    r = fam.post("/family/apply", data=_apply_form(idempotency_key="2"),
                 headers={"X-CSRF-Token": token})
    assert r.status_code == 400 and "重复申请" in r.text
    page = fam.get(url)
    # The zone school is Ganzhou's first school, whose name in the tiny data is hostile HTML.
    assert "划片学校" in page.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "<script>alert(1)" not in page.text
    # Proofs: right type accepted; wrong type, forged extension, too large refused.
    ok = fam.post(f"{url}/files", data={"kind": "hukou"}, headers={"X-CSRF-Token": token},
                  files={"file": ("户口.png", io.BytesIO(PNG), "image/png")})
    assert ok.status_code == 303 and "error" not in ok.headers["location"]
    for name, content in [("a.exe", b"MZ\x90\x00" * 10), ("a.pdf", b"MZ\x90\x00" * 10),
                          ("a.png", b"%PDF-1.7 fake"),
                          ("big.png", PNG + b"\x00" * (5 * 1024 * 1024))]:
        r = fam.post(f"{url}/files", data={"kind": "hukou"}, headers={"X-CSRF-Token": token},
                     files={"file": (name, io.BytesIO(content), "image/png")})
        # Refused by the route (type, forged extension) or, past 5 MB, by the body limit.
        assert r.status_code == 413 or "error=" in r.headers["location"], name
    # A 4 MB photo passes the request size limit (the family's upload route allows 5 MB).
    big_ok = fam.post(f"{url}/files", data={"kind": "house"}, headers={"X-CSRF-Token": token},
                      files={"file": ("房产.jpg", io.BytesIO(b"\xff\xd8\xff" + b"\x00" * 4_000_000),
                                      "image/jpeg")})
    assert big_ok.status_code == 303 and "error" not in big_ok.headers["location"]
    with site.engine.connect() as conn:  # type: ignore[attr-defined]
        assert conn.execute(sa.select(sa.func.count()).select_from(am.files)).scalar_one() == 2
    file_link = re.search(rf'href="({url}/files/[0-9a-f]+)"', fam.get(url).text)
    assert file_link and fam.get(file_link.group(1)).content == PNG

    # Staff: return with a reason, the family resubmits, staff approve.
    staff = site.login("ganzhou")
    stoken = csrf_from(staff.get("/admissions").text)
    review = staff.get(f"/admissions/applications/{pk}")
    assert review.status_code == 200 and resident_id("20191120", "456") in review.text
    r = staff.post(f"/admissions/applications/{pk}/review",
                   data={"action": "return", "reason": ""}, headers={"X-CSRF-Token": stoken})
    assert "error=" in r.headers["location"]  # a return needs a reason
    staff.post(f"/admissions/applications/{pk}/review",
               data={"action": "return", "reason": "请补充房产证明"},
               headers={"X-CSRF-Token": stoken})
    page = fam.get(url)
    assert "请补充房产证明" in page.text and "重新提交" in page.text
    form = _apply_form()
    r = fam.post(f"{url}/resubmit", data={k: v for k, v in form.items() if k not in (
        "year", "county_code", "entry_stage", "idempotency_key")},
        headers={"X-CSRF-Token": token})
    assert r.status_code == 303 and "error" not in r.headers["location"]
    staff.post(f"/admissions/applications/{pk}/review",
               data={"action": "approve", "category_verified": "hukou_house"},
               headers={"X-CSRF-Token": stoken})
    # A second, competing family in the same zone (one seat at school 0001).
    other, _ = add_application(site.engine, COUNTY, category="migrant")
    staff.post(f"/admissions/applications/{other}/review",
               data={"action": "approve", "category_verified": "migrant"},
               headers={"X-CSRF-Token": stoken})

    q = {"county": COUNTY, "year": str(YEAR), "stage": "primary"}
    staff.post("/admissions/freeze", data={**q, "reason": "报名截止"},
               headers={"X-CSRF-Token": stoken})
    page = staff.get("/admissions", params=q)
    digest = re.search(r'id="list-hash">([0-9a-f]{64})<', page.text)
    assert digest, page.text[-3000:]
    # Frozen: no more changes by families.
    r = fam.post(f"{url}/files", data={"kind": "house"}, headers={"X-CSRF-Token": token},
                 files={"file": ("h.png", io.BytesIO(PNG), "image/png")})
    assert "error=" in r.headers["location"]
    staff.post("/admissions/seed", data={**q, "seed": "20260715-公证处-48213"},
               headers={"X-CSRF-Token": stoken})
    staff.post("/admissions/draw", data=q, headers={"X-CSRF-Token": stoken})
    assert "未录取原因" not in fam.get(url).text and "录取结果" not in fam.get(url).text
    staff.post("/admissions/publish", data={**q, "reason": "公示"},
               headers={"X-CSRF-Token": stoken})
    page = fam.get(url)
    assert "录取结果" in page.text and "摇号号码" in page.text
    assert "第一轮录取" in page.text  # hukou_house before migrant at the one-seat school
    # Round 2 is its own step, only after round 1 is published; until then the other
    # applicant (migrant, same one-seat zone school) waits for it.
    page = staff.get("/admissions", params=q)
    assert "待调剂" in page.text and "运行第二轮调剂并公布" in page.text
    # Every step was logged with who and why.
    for words in ("冻结名单并公布哈希", "报名截止", "公布摇号种子", "摇号并录取", "公布第一轮录取结果"):
        assert words in page.text
    # An override needs a written reason, and the family sees it on its result.
    r = staff.post(f"/admissions/applications/{pk}/override",
                   data={"school_id": f"{COUNTY}0002", "reason": "  "},
                   headers={"X-CSRF-Token": stoken})
    assert "error=" in r.headers["location"]
    assert "override-note" not in fam.get(url).text
    staff.post(f"/admissions/applications/{pk}/override",
               data={"school_id": f"{COUNTY}0002", "reason": "残疾儿童就近安置（特殊情况）"},
               headers={"X-CSRF-Token": stoken})
    page = fam.get(url).text
    assert 'id="override-note"' in page and "残疾儿童就近安置" in page
    assert "人工调整录取" in page and "按规则计算的结果为" in page

    # Round 2 after round 1 (with its override): the seat the override freed goes to 调剂.
    r = staff.post("/admissions/round2", data={**q, "reason": "第一轮公示期满"},
                   headers={"X-CSRF-Token": stoken})
    assert "error" not in r.headers["location"]
    page = staff.get("/admissions", params=q).text
    assert "运行第二轮调剂并公布" in page and "第二轮调剂录取1人" in page and "第一轮公示期满" in page
    with site.engine.connect() as conn:  # type: ignore[attr-defined]
        rows = {r.application_id: r for r in conn.execute(sa.select(am.results)).all()}
    assert sorted((r.round, r.school_id) for r in rows.values()) == [
        (1, f"{COUNTY}0002"), (2, f"{COUNTY}0001")]
    r = staff.post("/admissions/round2", data=q, headers={"X-CSRF-Token": stoken})
    assert "error=" in r.headers["location"]  # once only

    # The publication lists the override with who (the office) and why, and replays bit for
    # bit.
    result = staff.get("/admissions/result.json", params=q)
    doc = json.loads(result.text)
    assert result.status_code == 200 and doc["list_sha256"] == digest.group(1)
    assert doc["round_2"] is True
    assert [(o["school_id"], o["after_round"], o["reason"], o["by"]) for o in doc["overrides"]] \
        == [(f"{COUNTY}0002", 1, "残疾儿童就近安置（特殊情况）", "区县教育局")]
    (tmp_path / "r.json").write_text(result.text, "utf-8")
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(staff.get("/admissions/results.xlsx",
                                                       params=q).content))
    cells = " ".join(str(c) for row in book["录取结果"].iter_rows(values_only=True) for c in row)
    assert "李小红" not in cells and "张小明" not in cells  # no names in the publication
    assert resident_id("20191120", "456") not in cells
    verify = ["admissions", "verify", db_url, "--county", COUNTY, "--year", str(YEAR),
              "--stage", "primary", "--result", str(tmp_path / "r.json")]
    assert main(verify) == 0
    # An override on the final results is replayed too (and changes nobody else's).
    staff.post(f"/admissions/applications/{other}/override",
               data={"school_id": f"{COUNTY}0003", "reason": "家长申请，经学校同意"},
               headers={"X-CSRF-Token": stoken})
    doc = json.loads(staff.get("/admissions/result.json", params=q).text)
    assert [o["after_round"] for o in doc["overrides"]] == [1, 2]
    (tmp_path / "r.json").write_text(json.dumps(doc, ensure_ascii=False), "utf-8")
    assert main(verify) == 0


def test_a_family_never_reaches_another_familys_application(
        site: Site, caplog: pytest.LogCaptureFixture) -> None:
    add_county(site.engine, COUNTY)
    add_county(site.engine, "620723")
    site.app.state.data.invalidate()  # type: ignore[attr-defined]
    pk, file_id = add_application(site.engine, COUNTY)
    intruder = _register(site, "13900000002", caplog)
    token = csrf_from(intruder.get("/family").text)
    base = f"/family/applications/{pk}"
    assert intruder.get("/family").text.count("/family/applications/") == 0
    for method, path in [("GET", base), ("GET", f"{base}/files/{file_id}"),
                         ("POST", f"{base}/files"), ("POST", f"{base}/resubmit")]:
        if method == "GET":
            r = intruder.get(path)
        elif path.endswith("/files"):
            r = intruder.post(path, data={"kind": "hukou"}, headers={"X-CSRF-Token": token},
                              files={"file": ("a.png", io.BytesIO(PNG), "image/png")})
        else:
            r = intruder.post(path, data=_apply_form(), headers={"X-CSRF-Token": token})
        assert r.status_code == 404, (method, path, r.status_code)
        assert "张小明" not in r.text
    # Staff routes are not for families; another county's staff are refused too.
    assert intruder.get(f"/admissions/applications/{pk}").status_code == 403
    linze = site.login("linze")
    assert linze.get(f"/admissions/applications/{pk}").status_code == 403
    assert linze.get(f"{base}/files/{file_id}").status_code == 403
    with site.engine.connect() as conn:  # type: ignore[attr-defined]
        assert conn.execute(sa.select(sa.func.count()).select_from(am.files)).scalar_one() == 1


def test_a_retry_racing_the_first_submission_adds_no_row(site: Site) -> None:
    """The key decides in the INSERT itself (ON CONFLICT DO NOTHING): a second insert with a
    key already taken writes nothing, and a key of another family answers "not found"."""
    from junheng.web.services.accounts import find_user

    add_county(site.engine, COUNTY)
    site.app.state.data.invalidate()  # type: ignore[attr-defined]
    pk, _file = add_application(site.engine, COUNTY)
    parent = find_user(site.engine, "parent")
    assert parent is not None
    form = svc.ApplicationForm(
        year=YEAR, county_code=COUNTY, entry_stage="primary", child_name="王小军",
        resident_id=resident_id("20200505", "321"), hukou="", area_id=f"{COUNTY}-A1",
        housing="own", has_residence_permit=False, category_claimed="house", choices=())
    first = svc.create_application(site.engine, parent, form, "race-key")
    with site.engine.begin() as conn:  # type: ignore[attr-defined]
        late = conn.execute(svc._insert_new(conn.dialect.name), {
            "application_id": "tmp-late", "family_user_id": parent.id,
            "idempotency_key": "race-key", "year": YEAR, "county_code": COUNTY,
            "entry_stage": "primary", "child_name": "王小军", "resident_id": "x", "hukou": "",
            "area_id": f"{COUNTY}-A1", "housing": "own", "has_residence_permit": False,
            "category_claimed": "house", "category_verified": None, "choices": "",
            "status": "submitted", "return_reason": None, "submitted_at": svc.now(),
            "updated_at": svc.now()}).scalar()
    assert late is None
    assert svc.create_application(site.engine, parent, form, "race-key") == first != pk
    with site.engine.connect() as conn:  # type: ignore[attr-defined]
        assert conn.execute(sa.select(sa.func.count()).select_from(am.applications)).scalar_one() == 2
    other = svc.User(id=parent.id + 1000, username="x", display_name="x", role=svc.Role.PARENT,
                     county_code=None, school_id=None, must_change_password=False)
    with pytest.raises(svc.NotFound):
        svc.create_application(site.engine, other, form, "race-key")


def test_the_same_child_twice_at_once_is_one_application(site: Site) -> None:
    """Two families (or two phones) submit the same child at the same moment, each with its
    own key: both pass the "has this child applied?" lookup, and only the database's partial
    unique index keeps the second lottery ticket out. A rejected application no longer counts."""
    import threading

    from junheng.web.access import Role
    from junheng.web.services.accounts import create_user, find_user

    add_county(site.engine, COUNTY)
    site.app.state.data.invalidate()  # type: ignore[attr-defined]
    form = svc.ApplicationForm(
        year=YEAR, county_code=COUNTY, entry_stage="primary", child_name="李小红",
        resident_id=resident_id("20200707", "456"), hukou="", area_id=f"{COUNTY}-A1",
        housing="own", has_residence_permit=False, category_claimed="house",
        choices=(f"{COUNTY}0001",))
    parents = []
    for i in range(6):
        create_user(site.engine, f"1380000000{i}", PASSWORD, Role.PARENT,  # type: ignore[arg-type]
                    must_change_password=False)
        user = find_user(site.engine, f"1380000000{i}")
        assert user is not None
        parents.append(user)

    # The lookup raced: an INSERT for the same child with a fresh key writes nothing.
    first = svc.create_application(site.engine, parents[0], form, "child-key-0")
    with site.engine.begin() as conn:  # type: ignore[attr-defined]
        raced = conn.execute(svc._insert_new(conn.dialect.name), {
            "application_id": "tmp-raced", "family_user_id": parents[1].id,
            "idempotency_key": "child-key-raced", "year": YEAR, "county_code": COUNTY,
            "entry_stage": "primary", "child_name": "李小红", "resident_id": form.resident_id,
            "hukou": "", "area_id": f"{COUNTY}-A1", "housing": "own",
            "has_residence_permit": False, "category_claimed": "house",
            "category_verified": None, "choices": "", "status": "submitted",
            "return_reason": None, "submitted_at": svc.now(), "updated_at": svc.now()}).scalar()
    assert raced is None

    # Staff reject it; then five families submit the child at once, each with its own key.
    staff = find_user(site.engine, "ganzhou")
    assert staff is not None
    svc.review(site.engine, staff, first, "reject", "重复登记", None)
    start = threading.Barrier(5)
    outcomes: list[str] = []

    def submit(user: svc.User, key: str) -> None:
        start.wait()
        try:
            svc.create_application(site.engine, user, form, key)
            outcomes.append("stored")
        except svc.AdmissionsError as exc:
            assert exc.en == "this child already has an application this year"
            outcomes.append("refused")
        except sa.exc.OperationalError as exc:  # SQLite: the writer lock was busy throughout
            assert "locked" in str(exc)
            outcomes.append("busy")

    threads = [threading.Thread(target=submit, args=(u, f"child-key-{i + 1}"))
               for i, u in enumerate(parents[1:])]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("stored") == 1, outcomes
    with site.engine.connect() as conn:  # type: ignore[attr-defined]
        live = conn.execute(sa.select(am.applications.c.status).where(
            am.applications.c.resident_id == form.resident_id)).scalars().all()
    assert sorted(live) == ["rejected", "submitted"]


def test_the_plan_table_lists_the_schools_of_the_stage(site: Site) -> None:
    """A grade-1 plan table has no line for a junior school (nor a kindergarten or a senior
    school), but a plan can still be set for any school of the county (one opening this year
    has no sections yet)."""
    add_county(site.engine, COUNTY)
    site.app.state.data.invalidate()  # type: ignore[attr-defined]
    staff = site.login("ganzhou")
    primary = staff.get("/admissions", params={"county": COUNTY, "year": YEAR}).text
    junior = staff.get("/admissions", params={"county": COUNTY, "year": YEAR,
                                              "stage": "junior"}).text
    junior_school = "<tr><td>+1</td>"  # 6207020003, a junior school in the tiny data
    assert junior_school not in primary and junior_school in junior
    table = primary[primary.index("<tbody", primary.index("plan")):]
    assert table[:table.index("</tbody>")].count("<tr>") == 4  # 2 primary + 2 nine-year
    assert f'<option value="{COUNTY}0003">' in primary  # a plan can still be set for it
