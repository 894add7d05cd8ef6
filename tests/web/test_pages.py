"""What the pages show, the upload → problems → fix → confirm → new verdict flow, and the
edit form with the same validation."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from junheng.standards.engine import evaluate
from tests.web import tiny
from tests.web.conftest import Site, csrf_from
from tests.web.workbooks import WEAK_SCHOOL, write_broken, write_fixed


def _school_status(site: Site, school_id: str, year: int = 2024) -> set[str]:
    c = site.login("city")
    data = c.get(f"/api/school/{school_id}?year={year}").json()
    return {s["status"] for s in data["stages"]}


def test_city_overview(site: Site) -> None:
    c = site.login("city")
    r = c.get("/city")
    assert r.status_code == 200
    for name in tiny.COUNTIES.values():
        assert name in r.text
    assert "2027年目标" in r.text and "2035年目标" in r.text
    assert "/assets/echarts.min.js" in r.text and 'id="city-map"' in r.text
    assert "大班额" in r.text
    en = c.get("/city?lang=en")
    assert "2027 goal" in en.text and "junheng_lang" in en.headers.get("set-cookie", "")
    # The cookie keeps English on the next page.
    assert "County" in c.get("/county/620702").text


def test_county_page_matches_the_engine(site: Site) -> None:
    ev = evaluate(tiny.build(), "quality-balance-2017", 2024).to_json()
    linze = next(x for x in ev["counties"] if x["county_code"] == "620723")
    c = site.login("city")
    page = c.get("/county/620723?year=2024").text
    assert "每百名学生拥有高于规定学历教师数" in page
    cv = linze["stages"]["primary"]["indicators"]["degree_teachers_per_100"]["cv"]
    assert f"{cv:.3f}" in page
    weak = next(s for s in ev["schools"] if s["school_id"] == WEAK_SCHOOL)
    assert weak["status"] == "failed"
    assert f"/school/{WEAK_SCHOOL}" in page
    data = c.get("/api/county/620723?year=2024").json()
    row = next(s for s in data["schools"] if s["school_id"] == WEAK_SCHOOL)
    assert row["status"] == "failed" and row["failing"]


def test_api_evaluation_is_the_engine_document(site: Site) -> None:
    """/api/evaluation declares EvaluationOut; the response is still the engine's document,
    key for key (optional keys absent where the document leaves them out)."""
    ev = evaluate(tiny.build(), "quality-balance-2017", 2024).to_json()
    c = site.login("city")
    got = c.get("/api/evaluation?year=2024").json()
    assert json.dumps(got, ensure_ascii=False) == json.dumps(ev, ensure_ascii=False)
    # The schema is served nowhere (openapi_url=None) but is what the routes are checked on.
    schema = site.app.openapi()["components"]["schemas"]  # type: ignore[attr-defined]
    assert {"EvaluationOut", "CountyViewOut", "SchoolViewOut", "CountyOut"} <= set(schema)


def test_school_page_shows_trace_and_classes(site: Site) -> None:
    c = site.login("clerk")
    page = c.get("/school/6207020001?year=2024").text
    assert "教督〔2017〕6号" in page  # the source of each threshold, from the trace
    assert "各班人数" in page and "历年情况" in page


def test_pdf_report(site: Site) -> None:
    r = site.login("ganzhou").get("/county/620702/report.pdf")
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    assert r.headers["content-disposition"].startswith("attachment")


def test_upload_errors_then_fix_then_import(site: Site, tmp_path: Path) -> None:
    ds = tiny.build()
    broken = write_broken(ds, WEAK_SCHOOL, 2024, tmp_path / "学校数据.xlsx")
    fixed = write_fixed(ds, WEAK_SCHOOL, 2024, tmp_path / "fixed.xlsx")
    assert _school_status(site, WEAK_SCHOOL) == {"failed"}
    c = site.login("city")
    token = csrf_from(c.get("/data").text)

    r = c.post("/data/upload", data={"csrf_token": token},
               files={"file": ("学校数据.xlsx", broken.read_bytes())}, follow_redirects=True)
    assert r.status_code == 200
    assert "六百" in r.text and "不能为负数" in r.text and "sections" in r.text
    assert "未写入任何数据" in r.text
    # Nothing was written: the verdict is unchanged.
    assert _school_status(site, WEAK_SCHOOL) == {"failed"}

    r = c.post("/data/upload", data={"csrf_token": token},
               files={"file": ("fixed.xlsx", fixed.read_bytes())}, follow_redirects=True)
    assert "检查通过" in r.text and 'id="confirm-import"' in r.text
    assert _school_status(site, WEAK_SCHOOL) == {"failed"}  # not before confirming
    confirm = r.url.path + "/confirm"
    r = c.post(confirm, data={"csrf_token": token})
    assert r.status_code == 303
    assert "已导入" in c.get(r.headers["location"]).text
    assert _school_status(site, WEAK_SCHOOL) == {"passed"}
    # A staged upload imports once.
    assert c.post(confirm, data={"csrf_token": token}).status_code == 400


def test_not_a_workbook(site: Site) -> None:
    c = site.login("city")
    token = csrf_from(c.get("/data").text)
    r = c.post("/data/upload", data={"csrf_token": token},
               files={"file": ("data.csv", b"a,b\n1,2\n")}, follow_redirects=True)
    assert "只接受 Excel 工作簿" in r.text


def test_edit_form_validates_like_an_upload(site: Site) -> None:
    c = site.login("ganzhou")
    form_page = c.get("/school/6207020002/edit?year=2024").text
    token = csrf_from(form_page)
    assert 'name="sections.primary.students"' in form_page
    bad = c.post("/school/6207020002/edit", data={
        "csrf_token": token, "year": "2024", "sections.primary.students": "很多",
        "facilities.books": "-5"})
    assert bad.status_code == 400
    assert "很多" in bad.text and "不能为负数" in bad.text
    before = c.get("/api/school/6207020002?year=2024").json()
    assert before["sections"][0]["students"] == 640
    ok = c.post("/school/6207020002/edit", data={
        "csrf_token": token, "year": "2024", "sections.primary.students": "700"})
    assert ok.status_code == 303
    after = c.get("/api/school/6207020002?year=2024").json()
    assert after["sections"][0]["students"] == 700
    # Empty means not reported, never zero.
    c.post("/school/6207020002/edit", data={"csrf_token": token, "year": "2024",
                                            "sections.primary.capacity": ""})
    again = c.get("/api/school/6207020002?year=2024").json()
    assert again["sections"][0]["capacity"] is None


def test_county_admin_imports_own_county_only(site: Site, tmp_path: Path) -> None:
    from junheng.domain.dataset import Dataset
    from junheng.io.writers import write_dataset
    from tests.web.workbooks import boosted

    full = boosted(tiny.build(), WEAK_SCHOOL, 2024)
    c = site.login("linze")
    token = csrf_from(c.get("/data").text)
    # All six counties in the counties sheet: the other five are refused, nothing written.
    write_dataset(full, tmp_path / "all.xlsx")
    r = c.post("/data/upload", data={"csrf_token": token},
               files={"file": ("all.xlsx", (tmp_path / "all.xlsx").read_bytes())},
               follow_redirects=True)
    assert "620702" in r.text and "不属于本区县" in r.text
    assert 'id="confirm-import"' not in r.text
    # A Ganzhou school's figures in Linze's workbook are refused too.
    ganzhou = boosted(tiny.build(), "6207020002", 2024)
    mixed = Dataset({**full.tables, "counties": full.table("counties").filter(
        pl.col("county_code") == "620723"), "sections": pl.concat(
        [full.table("sections"), ganzhou.table("sections")])})
    write_dataset(mixed, tmp_path / "mixed.xlsx")
    r = c.post("/data/upload", data={"csrf_token": token},
               files={"file": ("mixed.xlsx", (tmp_path / "mixed.xlsx").read_bytes())},
               follow_redirects=True)
    assert "6207020002" in r.text and "不属于本区县" in r.text
    # Only Linze's rows: accepted and imported.
    own = Dataset({**full.tables, "counties": full.table("counties").filter(
        pl.col("county_code") == "620723")})
    write_dataset(own, tmp_path / "own.xlsx")
    r = c.post("/data/upload", data={"csrf_token": token},
               files={"file": ("own.xlsx", (tmp_path / "own.xlsx").read_bytes())},
               follow_redirects=True)
    assert 'id="confirm-import"' in r.text, r.text
    assert c.post(r.url.path + "/confirm", data={"csrf_token": token}).status_code == 303
    assert _school_status(site, WEAK_SCHOOL) == {"passed"}
    # Ganzhou's administrator can neither see nor confirm Linze's upload.
    g = site.login("ganzhou")
    assert g.get(r.url.path).status_code == 403
    assert g.post(r.url.path + "/confirm", headers={
        "X-CSRF-Token": csrf_from(g.get("/data").text)}).status_code == 403


def test_edit_form_keeps_unknown_columns(site: Site) -> None:
    import polars as pl

    from junheng.domain.dataset import Dataset
    from junheng.io.db import import_dataset, load_dataset

    stored = load_dataset(site.engine)  # type: ignore[arg-type]
    row = stored.table("sections").filter((pl.col("school_id") == "6207020002")
                                        & (pl.col("year") == 2024))
    import_dataset(site.engine, Dataset({"sections": row.with_columns(  # type: ignore[arg-type]
        pl.lit("扩建中").alias("备注"))}))
    c = site.login("ganzhou")
    token = csrf_from(c.get("/school/6207020002/edit?year=2024").text)
    ok = c.post("/school/6207020002/edit", data={
        "csrf_token": token, "year": "2024", "sections.primary.students": "701"})
    assert ok.status_code == 303
    after = load_dataset(site.engine).table("sections").filter(  # type: ignore[arg-type]
        (pl.col("school_id") == "6207020002") & (pl.col("year") == 2024))
    assert after["students"].to_list() == [701]
    assert after["备注"].to_list() == ["扩建中"]
