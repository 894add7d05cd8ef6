"""``junheng init-admin`` and ``junheng users …`` on a real database."""

from __future__ import annotations

import re

import pytest

from junheng.cli import main
from junheng.io.db import make_engine
from junheng.web.services.accounts import authenticate, find_user
from junheng.web.settings import Settings


def test_account_commands(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init-admin", "--db", db_url]) == 0
    out = capsys.readouterr().out
    password = re.search(r"密码 password:\s+(\S+)", out)
    assert password and "admin" in out
    engine = make_engine(db_url)
    admin = find_user(engine, "admin")
    assert admin is not None and admin.must_change_password
    settings = Settings(database_url=db_url, secret_key="x")
    assert authenticate(engine, settings, "admin", password.group(1), "127.0.0.1").user
    # Only once: a second run refuses, and never prints a password.
    assert main(["init-admin", "--db", db_url]) == 2
    assert "密码" not in capsys.readouterr().out

    assert main(["users", "create", "gz", "--role", "county_admin", "--db", db_url]) == 2
    assert "区县代码" in capsys.readouterr().err
    assert main(["users", "create", "gz", "--role", "county_admin", "--county", "620702",
                 "--name", "甘州区教育局", "--db", db_url]) == 0
    first = capsys.readouterr().out.split(":")[1].split()[0]
    assert main(["users", "reset", "gz", "--db", db_url]) == 0
    second = capsys.readouterr().out.split(":")[1].split()[0]
    assert first != second
    assert authenticate(engine, settings, "gz", first, "10.0.0.1").user is None
    assert authenticate(engine, settings, "gz", second, "10.0.0.1").user is not None
    assert main(["users", "list", "--db", db_url]) == 0
    listing = capsys.readouterr().out
    assert "gz\tcounty_admin\t620702\tactive" in listing
    engine.dispose()
