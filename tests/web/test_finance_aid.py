"""Finance and aid pages: content, masking by default, unmasking only for roles that hand
out aid, every view of personal data logged, reviews of doubtful matches logged."""

from __future__ import annotations

import datetime as dt
import io
import json

import openpyxl
import polars as pl
import pytest
import sqlalchemy as sa

from junheng.domain.dataset import Dataset
from junheng.io.db import import_dataset
from junheng.io.validate import resident_id_check_char
from junheng.web import models
from tests.web.conftest import Site, csrf_from


def _rid(first17: str) -> str:
    return first17 + resident_id_check_char(first17)


GZ, LZ = "6207020001", "6207230001"
ID_A = _rid("62070220150308001")   # on the roll and on the 低保 list
ID_B = _rid("62070220140101002")   # on the roll; the list spells the name differently
ID_L = _rid("62072320150308003")   # Linze
BIRTH = dt.date(2015, 3, 8)


def _extra() -> Dataset:
    finance = pl.DataFrame({
        "year": [2023, 2024, 2023, 2024], "county_code": ["620702", "620702", "620723", "620723"],
        "edu_budget_yuan": [1_000_000.0, 999_999.0, 500_000.0, 600_000.0],
        "students": [100, 100, 50, 50],
        "teacher_avg_pay_yuan": [90_000.0, 91_000.0, 80_000.0, 81_000.0],
        "civil_servant_avg_pay_yuan": [89_000.0, 92_000.0, 79_000.0, 80_000.0]})
    students = pl.DataFrame({
        "year": [2024] * 3, "student_id": ["S1", "S2", "S3"], "school_id": [GZ, GZ, LZ],
        "grade": [3, 4, 3], "resident_id": [ID_A, ID_B, ID_L],
        "name": ["张小明", "李小红", "王小刚"], "birth_date": [BIRTH, BIRTH, BIRTH],
        "family_hardship_level": [0, 1, 1]})
    lists = pl.DataFrame({
        "year": [2024] * 3, "source": ["civil_affairs"] * 3, "category": ["dibao"] * 3,
        "resident_id": [ID_A, ID_B, ID_L], "name": ["张小明", "李晓红", "王小刚"],
        "birth_date": [BIRTH, BIRTH, BIRTH]})
    return Dataset.from_frames({"finance": finance, "students": students, "aid_lists": lists})


@pytest.fixture
def fsite(site: Site) -> Site:
    import_dataset(site.engine, _extra())  # type: ignore[arg-type]
    return site


def _audit(site: Site, action: str) -> list[dict[str, object]]:
    with site.engine.connect() as conn:  # type: ignore[attr-defined]
        rows = conn.execute(sa.select(models.audit_log).where(
            models.audit_log.c.action == action).order_by(models.audit_log.c.id)).mappings()
        return [dict(r) for r in rows]


def _text(resp) -> str:  # type: ignore[no-untyped-def]
    if resp.headers["content-type"].startswith("application/vnd.openxml"):
        book = openpyxl.load_workbook(io.BytesIO(resp.content))
        return " ".join(str(c) for ws in book.worksheets for row in ws.iter_rows(values_only=True)
                        for c in row if c is not None)
    return resp.text


def test_finance_pages(fsite: Site) -> None:
    c = fsite.login("city")
    r = c.get("/finance?year=2024")
    assert r.status_code == 200 and "未达标" in r.text and "甘州区" in r.text
    r = c.get("/county/620702/finance?year=2024")
    assert r.status_code == 200
    assert "减少1元" in r.text and "逐年只增不减" in r.text
    data = json.loads(r.text.split('id="page-data">')[1].split("</script>")[0])
    assert data["kind"] == "finance" and data["series"]["budget"] == [1_000_000.0, 999_999.0]
    assert "<script>alert" not in r.text
    assert c.get("/county/620702/finance?year=1999").status_code == 404
    assert fsite.login("linze").get("/county/620702/finance").status_code == 403


AID_ROUTES = ["/county/620702/aid?year=2024", f"/school/{GZ}/aid?year=2024",
              "/county/620702/aid.xlsx?year=2024"]


@pytest.mark.parametrize("path", AID_ROUTES)
def test_aid_routes_mask_by_default_and_log_every_view(fsite: Site, path: str) -> None:
    c = fsite.login("inspector")
    before = len(_audit(fsite, "view_personal"))
    r = c.get(path)
    assert r.status_code == 200
    body = _text(r)
    assert ID_A not in body and ID_B not in body and "张小明" not in body
    assert ID_B[:6] + "********" + ID_B[14:] in body  # the gap list, masked
    assert ID_L not in body and "王小刚" not in body     # nothing of Linze
    assert len(_audit(fsite, "view_personal")) == before + 1
    # An inspector may not unmask.
    sep = "&" if "?" in path else "?"
    assert c.get(path + sep + "unmask=1").status_code == 403
    assert _audit(fsite, "view_personal_unmasked") == []


@pytest.mark.parametrize("path", AID_ROUTES)
def test_unmasked_views_are_for_those_who_hand_out_aid_and_are_logged(fsite: Site,
                                                                      path: str) -> None:
    c = fsite.login("ganzhou")
    r = c.get(path + "&unmask=1")
    assert r.status_code == 200
    assert ID_B in _text(r) and "李小红" in _text(r)
    [row] = _audit(fsite, "view_personal_unmasked")
    assert row["username"] == "ganzhou"
    assert json.loads(str(row["detail"]))["unmasked"] is True


def test_clerk_sees_the_own_school_only(fsite: Site) -> None:
    c = fsite.login("clerk")
    assert c.get(f"/school/{GZ}/aid?unmask=1").status_code == 200
    assert c.get(f"/school/{LZ}/aid").status_code == 403
    assert c.get("/county/620702/aid").status_code == 403


def test_review_of_a_doubtful_match_is_logged_and_applied(fsite: Site) -> None:
    c = fsite.login("ganzhou")
    page = c.get("/county/620702/aid?year=2024")
    assert "李晓红"[0] in page.text and "S2" in page.text  # the queue shows the doubtful match
    token = csrf_from(page.text)
    form = {"csrf_token": token, "year": "2024", "student_id": "S2", "source": "civil_affairs",
            "category": "dibao", "decision": "reject"}
    r = c.post("/county/620702/aid/review", data=form)
    assert r.status_code == 303
    [row] = _audit(fsite, "aid_review")
    assert row["target"] == "aid:2024:S2:civil_affairs:dibao"
    assert json.loads(str(row["detail"]))["decision"] == "reject"
    school = c.get(f"/school/{GZ}/aid?year=2024").text
    assert "待复核" not in school  # the rejected match is no longer a match
    assert "已驳回" in c.get("/county/620702/aid?year=2024").text
    # A match that is not doubtful, or of another county, cannot be decided.
    assert c.post("/county/620702/aid/review", data={**form, "student_id": "S1"}
                  ).status_code == 404
    linze = fsite.login("linze")
    t2 = csrf_from(linze.get("/county/620723/aid").text)
    assert linze.post("/county/620702/aid/review", data={**form, "csrf_token": t2}
                      ).status_code == 403
    inspector = fsite.login("inspector")
    t3 = csrf_from(inspector.get("/county/620702/aid").text)
    assert inspector.post("/county/620702/aid/review", data={**form, "csrf_token": t3}
                          ).status_code == 403


def test_pages_with_data_show_no_raw_id(fsite: Site) -> None:
    from tests.web.test_no_raw_ids import raw_ids, visible_text

    c = fsite.login("city")
    for path in ["/finance?year=2024", "/county/620702/finance?year=2024",
                 "/county/620702/aid?year=2024", f"/school/{GZ}/aid?year=2024"]:
        r = c.get(path)
        assert r.status_code == 200, path
        assert raw_ids(visible_text(r.text)) == [], path


def _rename(site: Site, username: str, display_name: str) -> None:
    with site.engine.begin() as conn:  # type: ignore[attr-defined]
        conn.execute(sa.update(models.users).where(models.users.c.username == username)
                     .values(display_name=display_name))


def _decision_cell(page: str) -> str:
    """The decision cell of the review queue's (one) doubtful match."""
    queue = page[page.index('id="review"'):]
    return queue[queue.index("已驳回"):queue.index("</td>", queue.index("已驳回"))]


def test_the_review_queue_names_the_reviewer_not_the_account(fsite: Site) -> None:
    """An inspector or another administrator reads who decided by the person's display name;
    an account without one shows its account name."""
    _rename(fsite, "ganzhou", "王资助")
    c = fsite.login("ganzhou")
    token = csrf_from(c.get("/county/620702/aid?year=2024").text)
    form = {"csrf_token": token, "year": "2024", "student_id": "S2", "source": "civil_affairs",
            "category": "dibao", "decision": "reject"}
    assert c.post("/county/620702/aid/review", data=form).status_code == 303
    inspector = fsite.login("inspector")
    cell = _decision_cell(inspector.get("/county/620702/aid?year=2024").text)
    assert "王资助" in cell and "ganzhou" not in cell
    _rename(fsite, "ganzhou", "")
    cell = _decision_cell(inspector.get("/county/620702/aid?year=2024").text)
    assert "ganzhou" in cell
