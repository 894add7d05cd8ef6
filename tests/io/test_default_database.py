"""The default database belongs to the installation, not to the folder a command is run from
(issue #13): every command finds the same data wherever it is started."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from junheng.cli import main
from junheng.io.db import database_url


def test_default_does_not_depend_on_the_current_folder(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JUNHENG_DATABASE_URL", raising=False)
    monkeypatch.delenv("JUNHENG_HOME", raising=False)
    here = database_url()
    monkeypatch.chdir(tmp_path)
    assert database_url() == here
    path = Path(here.removeprefix("sqlite:///"))
    assert path.is_absolute()
    assert path == (Path(sys.prefix) / "var" / "junheng.sqlite").resolve()


def test_home_and_url_override_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JUNHENG_DATABASE_URL", raising=False)
    monkeypatch.setenv("JUNHENG_HOME", str(tmp_path))
    assert database_url() == f"sqlite:///{(tmp_path / 'junheng.sqlite').resolve()}"
    monkeypatch.setenv("JUNHENG_DATABASE_URL", "postgresql+psycopg://u@h/db")
    assert database_url() == "postgresql+psycopg://u@h/db"
    assert database_url("sqlite:///x.sqlite") == "sqlite:///x.sqlite"


def test_help_prints_where_the_database_is(monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("JUNHENG_DATABASE_URL", raising=False)
    monkeypatch.delenv("JUNHENG_HOME", raising=False)
    with pytest.raises(SystemExit):
        main(["--help"])
    # argparse wraps long lines, at hyphens too: compare with all whitespace taken out.
    out = "".join(capsys.readouterr().out.split())
    assert database_url() in out
