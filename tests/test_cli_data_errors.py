"""Every command that reads DATA reports bad input the same way: each located problem on
stderr, then one line saying nothing was done, exit code 2."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.io_data import small_dataset

from junheng.cli import main
from junheng.io.writers import write_dataset

COMMANDS = [
    ["evaluate", "{data}", "--standard", "quality-balance-2017", "--year", "2024"],
    # A forecast reads sections only when it goes on to evaluate the projected year.
    ["forecast", "{data}", "--horizon", "2", "--evaluate", "quality-balance-2017"],
    ["zones", "{data}", "--county", "620723", "--stage", "primary", "--year", "2024",
     "--format", "json", "--out", "{tmp}/z.json"],
    ["plan", "{data}", "--county", "620723", "--target-year", "2024"],
    ["rotate", "{data}", "--county", "620723", "--year", "2024"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=[c[0] for c in COMMANDS])
def test_invalid_data_is_reported_with_its_location(
        command: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "data"
    write_dataset(small_dataset(), folder)
    sections = folder / "sections.csv"
    sections.write_text(sections.read_text("utf-8").replace(",820,", ",八百二十,"), "utf-8")
    argv = [a.format(data=folder, tmp=tmp_path) for a in command]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "sections.csv" in err and "在校生数(students)" in err and "八百二十" in err
    assert "未做任何处理" in err and "nothing was done" in err
