"""The rotation page (交流轮岗, measure 16): county staff draw the list, see its checks and its
direction, download it; other counties and roles cannot; every view is in the audit log."""

from __future__ import annotations

import io

import openpyxl
import polars as pl
import pytest
import sqlalchemy as sa

from junheng.domain.dataset import Dataset
from junheng.io.db import import_dataset
from junheng.web import models
from junheng.web.i18n import catalogue
from tests.web import tiny
from tests.web.conftest import Site

COUNTY = "620723"  # 临泽县 in the tiny dataset: four schools


def _with_teachers(site: Site) -> None:
    """Twenty teachers per Linze school, a quarter of them county-level backbone teachers."""
    rows = []
    for s, sid in enumerate(tiny.school_ids(COUNTY)):
        stage = "junior" if s == 2 else "primary"
        for k in range(20):
            rows.append({"year": 2024, "teacher_id": f"LZ{s}{k:02d}", "school_id": sid,
                         "stage": stage, "subject": ("语文", "数学", "英语", "体育")[k % 4],
                         "degree": "bachelor", "backbone_level": "county" if k < 5 else "none",
                         "years_at_school": 8, "birth_year": 1985, "is_rotation_eligible": True})
    import_dataset(site.engine, Dataset.from_frames({"teachers": pl.DataFrame(rows)}))


def test_county_admin_draws_checks_and_downloads_the_list(site: Site) -> None:
    _with_teachers(site)
    c = site.login("linze")
    r = c.get("/rotation")
    assert r.status_code == 303 and r.headers["location"] == f"/rotation/{COUNTY}"
    first = c.get(f"/rotation/{COUNTY}?year=2024")
    assert first.status_code == 200 and "正在排轮岗名单" in first.text  # answers at once
    page = c.get(f"/rotation/{COUNTY}?year=2024&wait=1").text
    assert 'id="rotation-list"' in page and 'id="rotation-checks"' in page
    assert "逐条复核" in page and "第16条" in page and "未通过" not in page
    assert "LZ" in page  # the list names the teachers moved
    # The download holds the same list, in Chinese.
    x = c.get(f"/rotation/{COUNTY}/list.xlsx?year=2024")
    assert x.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(x.content), read_only=True)
    assert book.sheetnames == ["汇总", "轮岗名单", "规则复核"]
    listed = [row[0] for row in book["轮岗名单"].iter_rows(min_row=2, values_only=True)]
    assert listed and all(t in page for t in listed)
    # Both the view and the download are logged.
    with site.engine.connect() as conn:  # type: ignore[attr-defined]
        actions = {(r.action, r.target) for r in conn.execute(
            sa.select(models.audit_log.c.action, models.audit_log.c.target))}
    assert ("view_personal", f"rotation:{COUNTY}") in actions
    assert ("download", f"rotation:{COUNTY}") in actions


def test_other_counties_and_roles_are_refused(site: Site) -> None:
    assert site.login("ganzhou").get(f"/rotation/{COUNTY}").status_code == 403
    assert site.login("ganzhou").get(f"/rotation/{COUNTY}/list.xlsx").status_code == 403
    assert site.login("clerk").get("/rotation").status_code == 403
    assert site.login("parent").get(f"/rotation/{COUNTY}").status_code == 403


def test_parameters_are_bounded(site: Site) -> None:
    c = site.login("linze")
    assert c.get(f"/rotation/{COUNTY}?share=0.5").status_code == 400
    assert c.get(f"/rotation/{COUNTY}?max_km=100000").status_code == 400
    assert c.get(f"/rotation/{COUNTY}?year=1999").status_code == 404


def test_no_teacher_list_says_so(site: Site) -> None:
    page = site.login("linze").get(f"/rotation/{COUNTY}?wait=1").text
    assert "没有" in page and "教师名单" in page


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_solver_status_has_words(lang: str) -> None:
    """A list found at the time limit says it is not proven optimal; no list in time says so
    and what to do, without claiming the rules cannot be met."""
    words = catalogue(lang)
    for status in ("optimal", "feasible", "infeasible", "unknown"):
        assert words.get(f"rotation.status.{status}")
    feasible, unknown = words["rotation.note.feasible"], words["rotation.note.unknown"]
    assert ("未证明" in feasible) if lang == "zh" else ("not proven" in feasible)
    assert ("不表示规则无法满足" in unknown and "重新排名单" in unknown) if lang == "zh" else (
        "does not mean the rules cannot be met" in unknown and "Draw again" in unknown)


def test_english_page_and_download_give_the_reasons_in_english(site: Site) -> None:
    """The planner's reasons (its explanation, each rule's check, why a destination is rural or
    weak) come as kinds and numbers; the English page and workbook say them in English."""
    from tests.web.test_english_pages import _CJK, data_names

    _with_teachers(site)
    c = site.login("linze")
    assert c.get("/account/password?lang=en").status_code == 200
    page = c.get(f"/rotation/{COUNTY}?year=2024&wait=1").text
    assert 'id="rotation-explanation"' in page
    assert "Every rule re-checked: all pass." in page and "eligible, at least 10%" in page
    assert "逐条复核" not in page
    names = data_names(site)
    x = c.get(f"/rotation/{COUNTY}/list.xlsx?year=2024")
    book = openpyxl.load_workbook(io.BytesIO(x.content), read_only=True)
    assert book.sheetnames == ["Summary", "Rotation list", "Rules re-checked"]
    notes = [row[1] for row in book["Summary"].iter_rows(min_row=2, values_only=True)
             if row[0] == "Note"]
    assert notes and notes[-1] == "Every rule re-checked: all pass."
    left = []
    for ws in book.worksheets:
        for row in ws.iter_rows(values_only=True):
            for v in row:
                text = str(v or "")
                for name in names:
                    text = text.replace(name, " ")
                left += _CJK.findall(text)
    # The subjects (语文, 体育 …) are this test's data, as the teacher list has them.
    assert set(left) <= {"语文", "数学", "英语", "体育"}, left
