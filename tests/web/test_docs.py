"""docs/web.md names every setting, role, page and account command the code has."""

from __future__ import annotations

from pathlib import Path

from junheng.web.access import Role
from junheng.web.settings import Settings

DOC = (Path(__file__).resolve().parents[2] / "docs" / "web.md").read_text(encoding="utf-8")


def test_every_setting_is_documented() -> None:
    for name in Settings.model_fields:
        assert f"JUNHENG_{name.upper()}" in DOC, name


def test_every_role_and_command_is_documented() -> None:
    for role in Role:
        assert f"`{role.value}`" in DOC, role
    for cmd in ("junheng serve", "junheng init-admin", "junheng users create",
                "junheng users reset", "junheng users list"):
        assert cmd in DOC, cmd
    for page in ("/city", "/county/{code}", "/school/{id}", "/data", "/forecast", "/plans",
                 "/zones", "/admin/users", "/admin/audit"):
        assert f"`{page}" in DOC, page
