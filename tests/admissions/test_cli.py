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
    assert book.sheetnames == ["说明", "录取结果", "未录取原因", "学校", "人工调整"]
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
    apps = ds.table("applications")
    if apps.filter(pl.col("county_code") == COUNTY).height:
        changed = ds.with_table("applications", apps.with_columns(
            pl.when(pl.int_range(pl.len()) == 0).then(pl.lit("A0"))
            .otherwise(pl.col("area_id")).alias("area_id"),
            pl.when(pl.int_range(pl.len()) == 0).then(
                pl.when(pl.col("category") == "other").then(pl.lit("house"))
                .otherwise(pl.lit("other"))).otherwise(pl.col("category")).alias("category")))
        other = allocate(changed, COUNTY, YEAR, "primary", seed)
        assert other.list_sha256 != json.loads(one)["list_sha256"]


def test_round_one_publication_and_overrides_are_replayed_by_verify(
        case: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The record a county publishes: round 1 alone, then round 2 after an override made on
    round 1 and one made on the final results. verify reproduces each from DATA, the seed and
    the listed overrides (with who and why), and refuses an override slipped into the results
    without being listed."""
    folder, full = case
    seed = ["--seed", "2025-07-01 08:00"]
    r1 = tmp_path / "round1.json"
    assert main(["admissions", "allocate", str(folder), *ARGS, *seed, "--round-1-only",
                 "--out", str(r1)]) == 0
    doc1 = json.loads(r1.read_text("utf-8"))
    assert doc1["round_2"] is False and doc1["overrides"] == []
    assert all(r["round"] in (1, None) for r in doc1["results"])
    waiting = [r for r in doc1["results"] if r["round"] is None]
    assert waiting and all("第二轮调剂" in r["reason_zh"] for r in waiting)
    assert main(["admissions", "verify", str(folder), *ARGS, "--result", str(r1)]) == 0

    # An override on round 1: an unplaced applicant is given a seat at a full public school.
    full_doc = json.loads(full.read_text("utf-8"))
    who = waiting[0]["application_id"]
    target = next(s["school_id"] for s in full_doc["schools"] if not s["is_private"]
                  and s["admitted"] == s["seats"] and s["seats"] > 0)
    last = next(r["application_id"] for r in doc1["results"] if r["round"] == 1)
    overrides = [
        {"application_id": who, "school_id": target, "after_round": 1,
         "reason": "烈士子女，证明材料补交后核实", "by": "county-620723", "at": "2025-07-02T09:00:00"},
        {"application_id": last, "school_id": "6207230003", "after_round": 2,
         "reason": "家长申请转入民办学校，经民办学校同意", "by": "county-620723",
         "at": "2025-07-05T10:00:00"}]
    ofile = tmp_path / "overrides.json"
    ofile.write_text(json.dumps(overrides, ensure_ascii=False), "utf-8")
    final = tmp_path / "final.json"
    assert main(["admissions", "allocate", str(folder), *ARGS, *seed, "--overrides", str(ofile),
                 "--out", str(final)]) == 0
    doc = json.loads(final.read_text("utf-8"))
    assert doc["round_2"] is True and doc["overrides"] == overrides
    got = {r["application_id"]: r for r in doc["results"]}
    assert got[who]["school_id"] == target and got[who]["round"] == 1
    assert "人工调整" in got[who]["reason_zh"] and "烈士子女" in got[who]["reason_zh"]
    assert got[last]["school_id"] == "6207230003" and got[last]["round"] == 2
    assert "county-620723" in got[last]["reason_zh"]
    # The seat the round-1 override took is not offered again in round 2.
    seats = {s["school_id"]: s for s in doc["schools"]}
    assert seats[target]["admitted"] == sum(1 for r in doc["results"]
                                            if r["school_id"] == target)
    assert main(["admissions", "verify", str(folder), *ARGS, "--result", str(final)]) == 0
    assert "人工调整 2 项" in capsys.readouterr().out

    # The same result with the override no longer listed: verify names the difference.
    doc["overrides"] = doc["overrides"][:1]
    hidden = tmp_path / "hidden.json"
    hidden.write_text(json.dumps(doc, ensure_ascii=False), "utf-8")
    assert main(["admissions", "verify", str(folder), *ARGS, "--result", str(hidden)]) == 1
    assert "/results[" in capsys.readouterr().err
    # An override without a reason is not a record at all.
    doc["overrides"] = [{**overrides[0], "reason": " "}]
    hidden.write_text(json.dumps(doc, ensure_ascii=False), "utf-8")
    assert main(["admissions", "verify", str(folder), *ARGS, "--result", str(hidden)]) != 0
    assert "理由" in capsys.readouterr().err
