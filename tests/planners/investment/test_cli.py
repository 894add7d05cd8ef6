"""``junheng plan`` and ``junheng rotate`` end to end on the demo data written as a CSV folder."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest

from junheng.cli import main
from junheng.demo import generate
from junheng.io.writers import write_dataset


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo") / "csv"
    write_dataset(generate(seed=0, years=range(2022, 2025)), out)
    return out


def test_plan_json_has_the_promised_shape(demo_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "plan.json"
    rc = main(["plan", str(demo_dir), "--county", "620722", "--target-year", "2024",
               "--budget", "2000000,3000000", "--out", str(out)])
    assert rc == 0
    plan = json.loads(out.read_text(encoding="utf-8"))
    for key in ("status", "total_cost_yuan", "gap", "actions", "after", "budget_lines", "outside_plan"):
        assert key in plan
    assert plan["actions"]
    for a in plan["actions"]:
        assert {"school_id", "stage", "kind", "quantity", "cost_yuan", "year"} <= set(a)
    assert plan["after"]["counties"][0]["county_code"] == "620722"
    assert sum(a["cost_yuan"] for a in plan["actions"]) == pytest.approx(plan["total_cost_yuan"], abs=1)


def test_plan_writes_a_named_model(demo_dir: Path, tmp_path: Path) -> None:
    lp = tmp_path / "model.lp"
    assert main(["plan", str(demo_dir), "--county", "620722", "--target-year", "2024", "--no-evaluations",
                 "--write-model", str(lp), "--out", str(tmp_path / "p.json")]) == 0
    text = lp.read_text()
    for name in ("hire_backbone(", "move_balance_degree(", "meets_degree_teachers_per_100(", "school_rule(", "cv_mean_def(",
                 "cv_cut(junior,equipment_value_per_student,"):
        assert name in text, name


def test_plan_budget_file_and_xlsx(demo_dir: Path, tmp_path: Path) -> None:
    budget = tmp_path / "budget.yaml"
    budget.write_text("2024: 1000000\n", encoding="utf-8")
    out = tmp_path / "plan.xlsx"
    rc = main(["plan", str(demo_dir), "--county", "620722", "--target-year", "2024",
               "--budget", str(budget), "--format", "xlsx", "--out", str(out)])
    assert rc == 0
    book = openpyxl.load_workbook(out)
    assert {"汇总", "措施清单", "预算事项", "规划外事项", "无法达到", "年度安排"} <= set(book.sheetnames)
    summary = {r[0]: r[1] for r in book["汇总"].iter_rows(values_only=True)}
    assert summary["年度预算状态"] == "预算不足"   # in words, not the JSON status id
    assert summary["预算缺口（元）"] > 0


def test_rotate_json_and_xlsx(demo_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "rot.json"
    assert main(["rotate", str(demo_dir), "--county", "620722", "--year", "2024", "--out", str(out)]) == 0
    rot = json.loads(out.read_text(encoding="utf-8"))
    assert rot["rotated_teachers"] >= 0.1 * rot["eligible_teachers"]
    assert rot["explanation_zh"] and all(c["passed"] for c in rot["checks"])
    xlsx = tmp_path / "rot.xlsx"
    assert main(["rotate", str(demo_dir), "--county", "620722", "--year", "2024", "--format", "xlsx",
                 "--out", str(xlsx)]) == 0
    assert "轮岗名单" in openpyxl.load_workbook(xlsx).sheetnames


def test_user_errors_exit_2(demo_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", str(demo_dir), "--county", "629999", "--target-year", "2024"]) == 2
    assert "629999" in capsys.readouterr().err
    assert main(["plan", str(demo_dir), "--county", "620722", "--target-year", "2010"]) == 2
    assert main(["rotate", str(demo_dir), "--county", "620722", "--year", "2024", "--share", "0.01"]) == 2
