"""The rotation list of the demo's largest county, 甘州区 (about 1,025 eligible teachers): found
with a quarter of the default time limit, passing every rule re-checked from the list alone; the
same list each time; and when the limit passes before any list, the words say so and what to do
instead of claiming the rules cannot be met."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from junheng.cli import main
from junheng.demo import generate
from junheng.domain.dataset import Dataset
from junheng.planners.teachers import rotate_teachers
from junheng.planners.teachers.rotation import check_rotation, load_params, standard_shares

GANZHOU = "620702"
YEAR = 2024


@pytest.fixture(scope="module")
def ds() -> Dataset:
    return generate(seed=0)


def test_ganzhou_list_needs_little_time(ds: Dataset) -> None:
    limit = load_params()["solver"]["time_limit_s"] / 4
    plan = rotate_teachers(ds, GANZHOU, YEAR, params={"solver": {"time_limit_s": limit}})
    assert plan.eligible > 1000
    assert plan.status in ("optimal", "feasible")
    assert plan.moves.height >= plan.required > 100
    # Every rule, recomputed here from the list and the county's own teachers.
    min_share, bb_share, _ = standard_shares(YEAR)
    teachers = ds.table("teachers").filter(pl.col("year") == YEAR).join(
        plan.parts.select("school_id", "stage"), on=["school_id", "stage"], how="semi")
    checks = check_rotation(plan.moves, teachers, plan.parts, plan.params, min_share, bb_share, YEAR)
    assert [c["rule"] for c in checks if not c["passed"]] == []
    assert plan.moves["teacher_id"].n_unique() == plan.moves.height


def test_ganzhou_list_is_the_same_each_time(ds: Dataset) -> None:
    a = rotate_teachers(ds, GANZHOU, YEAR)
    b = rotate_teachers(ds, GANZHOU, YEAR)
    assert a.status == b.status == "optimal"
    assert a.moves.equals(b.moves)
    assert a.objective == b.objective == a.bound


def test_no_list_in_time_says_so_and_not_infeasible(ds: Dataset) -> None:
    plan = rotate_teachers(ds, GANZHOU, YEAR, params={"solver": {"time_limit_s": 1e-6}})
    assert plan.status == "unknown" and plan.moves.height == 0
    text = "".join(plan.explanation_zh)
    assert "没有找到名单" in text and "不表示规则无法满足" in text and "重新排名单" in text
    assert "无法排出" not in text and "证明最优" not in text and "未通过" not in text


def test_cli_says_when_no_list_was_found(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "demo"
    assert main(["demo", "--out", str(data), "--years", "2024"]) == 0
    params = tmp_path / "tiny.yaml"
    params.write_text("solver:\n  time_limit_s: 0.000001\n", encoding="utf-8")
    capsys.readouterr()
    out = tmp_path / "rotation.json"
    assert main(["rotate", str(data), "--county", GANZHOU, "--year", str(YEAR),
                 "--params", str(params), "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "没有找到名单" in err and "does not mean the rules cannot be met" in err
    assert json.loads(out.read_text(encoding="utf-8"))["status"] == "unknown"
