"""Evidence for the measures (#12): the county uploads a file with a note, the city accepts or
rejects it with a reason, the county uploads again; the measure's status follows; another
county can neither read nor write it; every step is in the audit log."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from junheng.io import evidence as store
from junheng.web import models
from tests.web.conftest import Site, csrf_from

PDF = b"%PDF-1.4\n% evidence\n" + b"0" * 200
YEAR = 2024
IND = "m28_evidence"  # 措施28: 纳入工作要点和考核的文件佐证


def _page(c: TestClient, code: str = "620702") -> str:
    r = c.get(f"/measures/{code}/evidence?year={YEAR}")
    assert r.status_code == 200, r.text[:500]
    return r.text


def _upload(c: TestClient, token: str, content: bytes = PDF, name: str = "考核文件.pdf",
            note: str = "已列入2024年县政府工作要点", code: str = "620702"):  # type: ignore[no-untyped-def]
    return c.post(f"/measures/{code}/evidence",
                  data={"year": str(YEAR), "indicator_id": IND, "note": note,
                        "csrf_token": token},
                  files={"file": (name, content, "application/pdf")})


def _review(c: TestClient, token: str, evidence_id: int, action: str, reason: str = ""):  # type: ignore[no-untyped-def]
    return c.post(f"/measures/evidence/{evidence_id}/review",
                  data={"action": action, "reason": reason, "csrf_token": token})


def add_evidence(site: Site, county: str) -> int:
    """An upload of the county, awaiting review (through the service, as the county did)."""
    from junheng.web.services import evidence
    from junheng.web.services.accounts import find_user

    user = find_user(site.engine, {"620702": "ganzhou", "620723": "linze"}[county])  # type: ignore[arg-type]
    assert user is not None
    return evidence.upload(site.engine, user, YEAR, county, "县区", IND, "说明",  # type: ignore[arg-type]
                           "a.pdf", PDF)


def _m28(c: TestClient, code: str = "620702") -> str:
    """The status cell of measure 28 on the county's measures page."""
    page = c.get(f"/measures/{code}?year={YEAR}").text
    row = page.split('id="measure-28"', 1)[1].split("</tr>", 1)[0]
    return re.findall(r'class="measure-cell measure-\w+">([^<]+)<', row)[0]


def _ids(site: Site) -> list[tuple[int, str]]:
    with site.engine.connect() as conn:  # type: ignore[attr-defined]
        return [(r.id, r.status) for r in conn.execute(
            select(store.evidence.c.id, store.evidence.c.status).order_by(store.evidence.c.id))]


def test_upload_review_reject_resubmit_accept(site: Site) -> None:
    gz, city = site.login("ganzhou"), site.login("city")
    gz_token = csrf_from(_page(gz))
    assert _m28(gz) == "未报送"

    # Wrong type: bytes decide, the extension must agree; nothing is stored.
    r = _upload(gz, gz_token, b"<html><script>alert(1)</script>", "x.pdf")
    assert r.status_code == 303 and "error=" in r.headers["location"]
    r = _upload(gz, gz_token, PDF, "x.png")
    assert "error=" in r.headers["location"]
    r = _upload(gz, gz_token, note="  ")
    assert "error=" in r.headers["location"]
    assert _ids(site) == []

    r = _upload(gz, gz_token)
    assert r.status_code == 303 and "error" not in r.headers["location"]
    [(first, status)] = _ids(site)
    assert status == "pending"
    assert _m28(gz) == "推进中"
    page = _page(city)
    assert "已列入2024年县政府工作要点" in page and "待审核" in page
    queue = city.get(f"/measures?year={YEAR}").text
    assert 'id="evidence-queue"' in queue and f"/measures/620702/evidence?year={YEAR}#{IND}" in queue
    city_token = csrf_from(page)

    # A rejection needs a reason; then the county sees it and uploads again.
    r = _review(city, city_token, first, "reject")
    assert "error=" in r.headers["location"]
    assert _ids(site) == [(first, "pending")]
    r = _review(city, city_token, first, "reject", "文件未盖章，请上传正式文件")
    assert r.status_code == 303 and "error" not in r.headers["location"]
    assert _m28(gz) == "未报送"
    page = _page(gz)
    assert "文件未盖章，请上传正式文件" in page and "已退回" in page and "重新上传" in page
    # A reviewed upload cannot be reviewed again.
    assert "error=" in _review(city, city_token, first, "accept").headers["location"]

    r = _upload(gz, gz_token, note="正式文件（已盖章）")
    assert "error" not in r.headers["location"]
    (_, _), (second, status) = _ids(site)
    assert status == "pending"
    assert _m28(gz) == "推进中"
    assert "error" not in _review(city, city_token, second, "accept").headers["location"]
    assert _m28(gz) == "已完成"
    assert 'id="evidence-queue"' not in city.get(f"/measures?year={YEAR}").text
    # Accepted: no further uploads.
    assert "error=" in _upload(gz, gz_token).headers["location"]
    assert "上传佐证材料" not in _page(gz).split(f'id="{IND}"', 1)[1].split("</section>", 1)[0]

    # The owning county and city-wide roles download it, as an attachment.
    for c in (gz, city, site.login("inspector")):
        f = c.get(f"/measures/evidence/{second}/file")
        assert f.status_code == 200 and f.content == PDF
        assert f.headers["content-type"] == "application/pdf"
        assert f.headers["content-disposition"].startswith("attachment")

    with site.engine.connect() as conn:  # type: ignore[attr-defined]
        actions = dict(conn.execute(
            select(models.audit_log.c.action, func.count()).group_by(models.audit_log.c.action)
        ).all())
    assert actions["evidence_uploaded"] == 2 and actions["evidence_reviewed"] == 2
    assert actions["evidence_viewed"] == 3
    log = city.get("/admin/audit").text
    assert "上传佐证材料" in log and "审核佐证材料" in log and "文件未盖章" in log
    assert "evidence_uploaded" not in log


def test_a_new_upload_before_review_replaces_the_waiting_one(site: Site) -> None:
    gz = site.login("ganzhou")
    token = csrf_from(_page(gz))
    _upload(gz, token)
    _upload(gz, token, note="补充材料")
    assert [s for _, s in _ids(site)] == ["superseded", "pending"]
    city = site.login("city")
    first = _ids(site)[0][0]
    assert "error=" in _review(city, csrf_from(_page(city)), first, "accept").headers["location"]


def test_another_county_can_neither_read_nor_write(site: Site) -> None:
    gz = site.login("ganzhou")
    _upload(gz, csrf_from(_page(gz)))
    [(eid, _)] = _ids(site)
    lz = site.login("linze")
    lz_token = csrf_from(_page(lz, "620723"))
    assert lz.get(f"/measures/620702/evidence?year={YEAR}").status_code == 403
    assert lz.get(f"/measures/evidence/{eid}/file").status_code == 403
    assert _upload(lz, lz_token, code="620702").status_code == 403
    # Reviewing is the city administrator's alone: not a county, not an inspector.
    assert _review(lz, lz_token, eid, "accept").status_code == 403
    assert _review(gz, csrf_from(_page(gz)), eid, "accept").status_code == 403
    insp = site.login("inspector")
    assert _review(insp, csrf_from(_page(insp)), eid, "accept").status_code == 403
    # The city administrator reviews but does not upload on a county's behalf.
    city = site.login("city")
    assert _upload(city, csrf_from(_page(city))).status_code == 403
    # Linze's own page shows nothing of Ganzhou's.
    assert "已列入2024年县政府工作要点" not in _page(lz, "620723")
    assert _ids(site) == [(eid, "pending")]
    for who in ("clerk", "parent"):
        c = site.login(who)
        assert c.get(f"/measures/evidence/{eid}/file").status_code == 403


def test_file_size_is_bounded(site: Site) -> None:
    """A county administrator may send a file above the site's 1 MB request limit (up to
    10 MB); beyond that the request is refused before the body is read."""
    gz = site.login("ganzhou")
    token = csrf_from(_page(gz))
    big = PDF + b"0" * (2 * 1024 * 1024)
    r = _upload(gz, token, big)
    assert r.status_code == 303 and "error" not in r.headers["location"]
    r = _upload(gz, token, PDF + b"0" * (11 * 1024 * 1024))
    assert r.status_code == 413
    assert [s for _, s in _ids(site)] == ["pending"]
    # Nobody else gets the raised limit on that path.
    lz = site.login("linze")
    assert _upload(lz, csrf_from(_page(lz, "620723")), big, code="620702").status_code == 413


def test_the_evidence_names_people_not_accounts(site: Site) -> None:
    """Who uploaded and who reviewed read as the people's display names (an inspector reads
    this page too); an account without one shows its account name."""
    import sqlalchemy as sa

    def rename(username: str, display_name: str) -> None:
        with site.engine.begin() as conn:  # type: ignore[attr-defined]
            conn.execute(sa.update(models.users).where(models.users.c.username == username)
                         .values(display_name=display_name))

    rename("ganzhou", "李填报")
    rename("city", "赵审核")
    evidence_id = add_evidence(site, "620702")
    city = site.login("city")
    assert "error" not in _review(city, csrf_from(_page(city)), evidence_id,
                                  "accept").headers["location"]
    row = _page(site.login("inspector")).split('class="evidence-accepted"', 1)[1]
    row = row.split("</tr>", 1)[0]
    assert "李填报" in row and "赵审核" in row
    assert "ganzhou" not in row and ">city<" not in row and "· city" not in row
    rename("city", "")
    row = _page(site.login("inspector")).split('class="evidence-accepted"', 1)[1]
    assert "· city" in row.split("</tr>", 1)[0]
