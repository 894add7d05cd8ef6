"""``junheng admissions allocate|verify``: the spec's JSON shape, bit-identical replay, a changed
list refused, a tampered result named, Excel for publication, DATA from a database."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings

from junheng.cli import main
from junheng.io.writers import write_dataset
from tests.admissions.instances import COUNTY, YEAR, instances

ARGS = ["--county", COUNTY, "--year", str(YEAR), "--stage", "primary"]


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    from tests.admissions.instances import dataset

    schools = [{"school_id": f"6207230{i:03d}", "ownership": "private" if i == 3 else "public",
                "lat": 39.0 + i / 100, "lon": 100.0 + i / 50} for i in range(5)]
    areas = [{"area_id": f"A{j}", "lat": 39.0 + j / 70, "lon": 100.0 + j / 40} for j in range(4)]
    zones = [("A0", "6207230000"), ("A1", "6207230001"), ("A1", "6207230002"),
             ("A2", "6207230002"), ("A3", "6207230004")]
    plans = {"6207230000": 3, "6207230001": 2, "6207230002": 2, "6207230003": 2,
             "6207230004": 4}
    cats = ["preferential", "hukou_house", "house", "hukou", "migrant", "other"]
    apps = [{"application_id": f"2025-{k:04d}", "area_id": f"A{k % 4}",
             "category": cats[k % 6],
             "choices": [f"6207230{(k + d) % 5:03d}" for d in range(k % 4)]}
            for k in range(18)]
    folder = tmp_path_factory.mktemp("adm") / "data"
    write_dataset(dataset(schools, areas, zones, plans, apps), folder)
    out = folder.parent / "result.json"
    assert main(["admissions", "allocate", str(folder), *ARGS, "--seed", "2025-07-01 08:00",
                 "--out", str(out)]) == 0
    return folder, out


def test_json_has_the_shape_of_the_spec(case: tuple[Path, Path]) -> None:
    _, out = case
    doc = json.loads(out.read_text("utf-8"))
    for key in ("county_code", "year", "stage", "seed", "list_sha256", "applicants", "results",
                "schools"):
        assert key in doc
    assert doc["applicants"] == len(doc["results"]) == 18
    assert sorted(r["lottery_number"] for r in doc["results"]) == list(range(1, 19))
    for r in doc["results"]:
        assert set(r) >= {"application_id", "lottery_number", "category", "round", "school_id",
                          "choice_rank", "reason_zh"}
        assert r["round"] in (1, 2, None)
        assert r["choice_rank"] in (1, 2, 3, 4, 5, "zone", None)
        assert (r["school_id"] is None) == (r["round"] is None)
    for s in doc["schools"]:
        assert set(s) >= {"school_id", "seats", "admitted"} and s["admitted"] <= s["seats"]


def test_replay_is_bit_identical_and_verify_agrees(case: tuple[Path, Path],
                                                   tmp_path: Path) -> None:
    folder, out = case
    again = tmp_path / "again.json"
    assert main(["admissions", "allocate", str(folder), *ARGS, "--seed", "2025-07-01 08:00",
                 "--out", str(again)]) == 0
    assert again.read_bytes() == out.read_bytes()
    assert main(["admissions", "verify", str(folder), *ARGS, "--result", str(out)]) == 0


def test_a_changed_list_is_refused(case: tuple[Path, Path], tmp_path: Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    folder, out = case
    changed = tmp_path / "changed"
    import shutil

    shutil.copytree(folder, changed)
    path = changed / "applications.csv"
    text = path.read_text("utf-8")
    path.write_text(text.replace("2025-0007,620723,primary,A3,", "2025-0007,620723,primary,A2,"),
                    "utf-8")
    assert path.read_text("utf-8") != text
    assert main(["admissions", "verify", str(changed), *ARGS, "--result", str(out)]) == 2
    assert "拒绝" in capsys.readouterr().err


def test_a_tampered_result_is_named(case: tuple[Path, Path], tmp_path: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    folder, out = case
    doc = json.loads(out.read_text("utf-8"))
    placed = next(i for i, r in enumerate(doc["results"]) if r["round"] == 1)
    doc["results"][placed]["school_id"] = "6207230003"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc, ensure_ascii=False), "utf-8")
    assert main(["admissions", "verify", str(folder), *ARGS, "--result", str(bad)]) == 1
    assert f"/results[{placed}]/school_id" in capsys.readouterr().err


def test_excel_for_publication(case: tuple[Path, Path], tmp_path: Path) -> None:
    folder, _ = case
    out = tmp_path / "r.xlsx"
    assert main(["admissions", "allocate", str(folder), *ARGS, "--seed", "x", "--format", "xlsx",
                 "--out", str(out)]) == 0
    book = openpyxl.load_workbook(out, read_only=True)
    assert book.sheetnames == ["说明", "录取结果", "未录取原因", "学校"]
    rows = list(book["录取结果"].iter_rows(values_only=True))
    assert rows[0][0] == "申请编号" and len(rows) == 19
    assert all(not any(isinstance(c, str) and c == "primary" for c in r) for r in rows)


def test_data_from_the_database_gives_the_same_result(case: tuple[Path, Path], db_url: str,
                                                      tmp_path: Path) -> None:
    folder, out = case
    assert main(["import", str(folder), "--db", db_url]) == 0
    assert main(["admissions", "verify", db_url, *ARGS, "--result", str(out)]) == 0


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(max_apps=15))
def test_replay_of_random_instances_is_bit_identical(inst) -> None:  # type: ignore[no-untyped-def]
    from junheng.admissions.allocate import allocate

    ds, seed = inst
    one = json.dumps(allocate(ds, COUNTY, YEAR, "primary", seed).to_json(), ensure_ascii=False)
    two = json.dumps(allocate(ds, COUNTY, YEAR, "primary", seed).to_json(), ensure_ascii=False)
    assert one == two
    apps = ds.get("applications")
    if apps.filter(pl.col("county_code") == COUNTY).height:
        changed = ds.with_table("applications", apps.with_columns(
            pl.when(pl.int_range(pl.len()) == 0).then(pl.lit("A0"))
            .otherwise(pl.col("area_id")).alias("area_id"),
            pl.when(pl.int_range(pl.len()) == 0).then(
                pl.when(pl.col("category") == "other").then(pl.lit("house"))
                .otherwise(pl.lit("other"))).otherwise(pl.col("category")).alias("category")))
        other = allocate(changed, COUNTY, YEAR, "primary", seed)
        assert other.list_sha256 != json.loads(one)["list_sha256"]
