"""The data page says which functions the stored data can serve and offers a template with
only the sheets each function reads; an upload into a database that already holds the core
tables need not bring them again (issue #15, part 2)."""

from __future__ import annotations

import io
from pathlib import Path
from urllib.parse import quote

import openpyxl
import polars as pl

from junheng.cli import command_needs
from junheng.domain.dataset import Dataset
from junheng.io.writers import write_dataset
from tests.web.conftest import Site, csrf_from


def test_data_page_shows_what_each_function_needs(site: Site) -> None:
    page = site.login("city").get("/data").text
    assert "各项功能需要的数据" in page
    for n in command_needs().values():
        assert n.title_zh in page
        # Subcommands (``report county``) are named with a space, URL-encoded in the link.
        assert f"/data/template.xlsx?for={quote(n.command)}" in page
    # The tiny dataset has no enrolment by grade: the forecast says what is missing.
    row = page.split("招生预测", 1)[1].split("</tr>", 1)[0]
    assert "缺少" in row and "分年级在校生" in row


def test_template_for_one_function(site: Site) -> None:
    c = site.login("ganzhou")
    r = c.get("/data/template.xlsx?for=forecast")
    assert r.status_code == 200
    assert "junheng-template-forecast.xlsx" in r.headers["content-disposition"]
    sheets = openpyxl.load_workbook(io.BytesIO(r.content), read_only=True).sheetnames
    assert sorted(sheets[1:]) == sorted(command_needs()["forecast"].tables())
    assert c.get("/data/template.xlsx?for=nonsense").status_code == 404


def test_partial_upload_into_a_database_with_the_core_tables(site: Site, tmp_path: Path) -> None:
    """Births alone: the schools, sections and facilities are already stored."""
    births = pl.DataFrame({"year": [2018, 2019], "county_code": ["620702", "620702"],
                           "births": [4100, 3900]})
    path = tmp_path / "births.xlsx"
    write_dataset(Dataset.from_frames({"births": births}), path)
    c = site.login("city")
    token = csrf_from(c.get("/data").text)
    r = c.post("/data/upload", data={"csrf_token": token},
               files={"file": ("births.xlsx", path.read_bytes())}, follow_redirects=True)
    assert "检查通过" in r.text, r.text[:2000]
    r = c.post(r.url.path + "/confirm", data={"csrf_token": token})
    assert r.status_code == 303
