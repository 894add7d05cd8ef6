"""Each command asks only for the tables it reads (issue #15, part 2).

A forecaster with enrolment by grade and births, a planner drawing zones, a rotation planner:
each runs on the minimal dataset its ``NEEDS`` declares, and a table it does read that is
missing is a located error naming the sheet and the command, never a traceback.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import openpyxl
import pytest

from junheng.cli import build_parser, command_needs, main
from junheng.demo.generate import generate
from junheng.domain.needs import TableNeeds, still_needed
from junheng.io.writers import write_dataset


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo as a CSV folder (one file per table): minimal datasets are folders with only
    some of the files."""
    out = tmp_path_factory.mktemp("demo") / "full"
    write_dataset(generate(seed=0), out)
    return out


def _subset(demo_dir: Path, tmp: Path, tables: tuple[str, ...] | list[str]) -> Path:
    out = tmp / "subset"
    out.mkdir()
    for t in tables:
        (out / f"{t}.csv").write_bytes((demo_dir / f"{t}.csv").read_bytes())
    return out


def _minimal(needs: TableNeeds) -> tuple[str, ...]:
    """Required tables plus the first of each one-of group: nothing optional."""
    return (*needs.required, *(g[0] for g in needs.one_of))


def _takes_data(p: argparse.ArgumentParser) -> bool:
    """The parser, or one of its own subcommands (admissions allocate), takes DATA."""
    for a in p._actions:
        if a.dest == "data":
            return True
        if isinstance(a, argparse._SubParsersAction) and any(
                _takes_data(child) for child in a.choices.values()):
            return True
    return False


def _data_commands() -> list[str]:
    """Every command that takes DATA."""
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return [name for name, p in sub.choices.items() if _takes_data(p)]


def _declared_for(name: str, declared: dict[str, TableNeeds]) -> bool:
    """The command's own needs, or one for each of its subcommands (``report county``)."""
    if name in declared:
        return True
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    inner = [a for a in sub.choices[name]._actions
             if isinstance(a, argparse._SubParsersAction)]
    return bool(inner) and all(f"{name} {child}" in declared
                               for child in inner[0].choices)


def test_every_command_reading_data_declares_its_needs() -> None:
    declared = command_needs()
    missing = [c for c in _data_commands() if not _declared_for(c, declared)]
    assert not missing, f"commands reading DATA without NEEDS: {missing}"
    for n in declared.values():
        assert n.title_zh and n.title_en, n.command


ARGS = {
    "evaluate": ["--standard", "quality-balance-2017", "--year", "2024", "--no-schools"],
    "forecast": ["--horizon", "2", "--level", "county", "--format", "json"],
    "zones": ["--county", "620723", "--stage", "primary", "--year", "2024"],
    "plan": ["--county", "620723", "--target-year", "2026", "--no-evaluations"],
    "rotate": ["--county", "620723", "--year", "2024"],
    "finance": ["--year", "2024"],
}


@pytest.mark.parametrize("command", sorted(ARGS))
def test_command_runs_on_its_minimal_dataset(command: str, demo_dir: Path, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    needs = command_needs()[command]
    data = _subset(demo_dir, tmp_path, _minimal(needs))
    out = tmp_path / "out.json"
    code = main([command, str(data), *ARGS[command], "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 0, err
    assert "缺少" not in err
    result = json.loads(out.read_text("utf-8"))
    assert result


@pytest.mark.parametrize("command", sorted(ARGS))
def test_a_missing_table_the_command_reads_is_a_located_error(
        command: str, demo_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    needs = command_needs()[command]
    dropped = needs.required[-1]
    tables = [t for t in _minimal(needs) if t != dropped]
    data = _subset(demo_dir, tmp_path, tables)
    code = main([command, str(data), *ARGS[command], "--out", str(tmp_path / "o.json")])
    err = capsys.readouterr().err
    assert code == 2
    assert "Traceback" not in err
    assert f"缺少工作表“{dropped}”" in err and f"{command} 命令需要它" in err
    assert f"sheet '{dropped}'" in err


def test_forecast_on_enrolment_by_grade_alone(demo_dir: Path, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    """No births: the entry grade follows its own recent level (said in the method)."""
    data = _subset(demo_dir, tmp_path, ("counties", "schools", "grade_enrollment"))
    assert main(["forecast", str(data), "--horizon", "1", "--level", "county"]) == 0
    assert "缺少" not in capsys.readouterr().err


def test_one_of_group_is_reported_when_none_is_given() -> None:
    n = TableNeeds("x", required=("schools",), one_of=(("births", "area_children"),))
    assert n.missing({"schools", "area_children"}) == []
    [m] = n.missing({"schools"})
    assert "“births”（出生人口）或“area_children”" in m.zh and "至少需要其中一个" in m.zh
    assert "'births' (Births) or 'area_children'" in m.en


def test_a_sheet_the_command_does_not_read_is_not_checked(demo_dir: Path, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]
                                                         ) -> None:
    """A broken facilities sheet stops an evaluation, not a forecast."""
    data = _subset(demo_dir, tmp_path, ("counties", "schools", "grade_enrollment", "births"))
    (data / "facilities.csv").write_text("year,school_id\nnot-a-year,x\n", "utf-8")
    assert main(["forecast", str(data), "--horizon", "1", "--level", "city"]) == 0
    capsys.readouterr()
    assert main(["validate", str(data), "--for", "forecast"]) == 0
    assert main(["validate", str(data)]) == 1


def test_forecast_then_evaluate_reads_what_the_evaluation_reads(
        demo_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = _subset(demo_dir, tmp_path, ("counties", "schools", "grade_enrollment", "births"))
    assert main(["forecast", str(data), "--horizon", "1",
                 "--evaluate", "quality-balance-2017"]) == 2
    assert "缺少工作表“sections”" in capsys.readouterr().err


def test_template_for_a_command_has_only_its_sheets(tmp_path: Path) -> None:
    out = tmp_path / "t.xlsx"
    assert main(["template", str(out), "--for", "forecast"]) == 0
    sheets = openpyxl.load_workbook(out, read_only=True).sheetnames
    assert sheets[0] == "README"
    assert sorted(sheets[1:]) == sorted(command_needs()["forecast"].tables())
    assert main(["template", str(tmp_path / "x.xlsx"), "--for", "nonsense"]) == 2


def test_command_reference_lists_the_tables_each_command_reads() -> None:
    from junheng.cli_reference import render

    text = render()
    for n in command_needs().values():
        assert f"读取的数据表 / tables read: {n.summary_zh()}" in text


def test_needs_refuse_unknown_tables_and_columns() -> None:
    with pytest.raises(ValueError, match="unknown table"):
        TableNeeds("x", required=("schoolz",))
    with pytest.raises(ValueError, match="unknown column"):
        TableNeeds("x", required=("sections",), columns=(("sections", ("seats",)),))


def test_needs_report_a_required_column() -> None:
    n = TableNeeds("zones", required=("sections",), columns=(("sections", ("capacity",)),))
    assert n.missing({"sections"}, {"sections": {"year", "capacity"}}) == []
    [m] = n.missing({"sections"}, {"sections": {"year"}})
    assert (m.table, m.column) == ("sections", "capacity")
    assert "核定学位数" in m.zh and "zones" in m.zh


def test_import_into_a_database_needs_only_what_it_lacks() -> None:
    assert still_needed(set()) == ["counties", "schools", "sections", "facilities"]
    assert still_needed({"counties", "schools", "sections", "facilities", "births"}) == []


@pytest.mark.db
def test_database_source_reports_missing_tables_and_reads_only_needed(
        db_url: str, demo_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """From a database: no teacher list → rotation says so (a table, not a sheet); a partial
    upload of the teachers into that database then makes it work."""
    core = _subset(demo_dir, tmp_path, ("counties", "schools", "sections", "facilities"))
    assert main(["import", str(core), "--db", db_url]) == 0
    out = tmp_path / "r.json"
    rotate = ["rotate", db_url, "--county", "620723", "--year", "2024", "--out", str(out)]
    assert main(rotate) == 2
    err = capsys.readouterr().err
    assert "缺少数据表“teachers”" in err and "rotate 命令需要它" in err
    teachers = tmp_path / "teachers"
    teachers.mkdir()
    (teachers / "teachers.csv").write_bytes((demo_dir / "teachers.csv").read_bytes())
    # Only teachers: the database already holds the format's required tables.
    assert main(["import", str(teachers), "--db", db_url]) == 0
    assert main(rotate) == 0
    assert json.loads(out.read_text("utf-8"))["rotated_teachers"] > 0
    capsys.readouterr()
    # A first import into an empty database still needs the whole format.
    empty = f"sqlite:///{tmp_path / 'empty.sqlite'}"
    assert main(["import", str(teachers), "--db", empty]) == 1
    assert "缺少工作表“counties”" in capsys.readouterr().err
