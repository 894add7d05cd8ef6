"""``junheng init-admin`` and ``junheng users …`` on a real database."""

from __future__ import annotations

import json
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


def test_users_create_refuses_unknown_scope_and_is_audited(
        db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    from junheng.io.db import import_dataset
    from junheng.web.services import audit
    from tests.web import tiny

    engine = make_engine(db_url)
    from junheng.web.database import prepare

    prepare(engine)
    import_dataset(engine, tiny.build())
    assert main(["users", "create", "x1", "--role", "county_admin", "--county", "999999",
                 "--db", db_url]) == 2
    err = capsys.readouterr().err
    assert "区县代码“999999”不存在" in err and "unknown county '999999'" in err
    assert main(["users", "create", "x2", "--role", "school_clerk", "--school", "6207029999",
                 "--db", db_url]) == 2
    err = capsys.readouterr().err
    assert "学校标识码“6207029999”不存在" in err and "unknown school" in err
    assert find_user(engine, "x1") is None and find_user(engine, "x2") is None
    assert audit.entries(engine)[1] == 0  # nothing was created, nothing logged

    assert main(["users", "create", "clerk1", "--role", "school_clerk", "--school",
                 "6207020001", "--db", db_url]) == 0
    assert main(["users", "reset", "clerk1", "--db", db_url]) == 0
    rows, total = audit.entries(engine)
    assert total == 2
    reset, created = rows
    assert created["action"] == "user_created" and created["target"] == "user:clerk1"
    assert reset["action"] == "password_reset" and reset["target"] == "user:clerk1"
    for r in rows:
        assert r["user_id"] is None and r["username"] is None
        assert json.loads(r["detail"])["cli"] is True
    assert json.loads(created["detail"])["school"] == "6207020001"
    engine.dispose()
