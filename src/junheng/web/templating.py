"""Jinja2 environment (autoescaping on) and the page renderer every route uses."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from junheng.web.access import Permission, Role
from junheng.web.i18n import Translator

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
# Templates ship with the package and do not change while it runs: no stat() per render.
templates.env.auto_reload = False


def _num(value: Any, digits: int = 2) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "✓" if value else "✗"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return str(value)


def _pct(value: Any, digits: int = 1) -> str:
    return "—" if value is None else f"{value * 100:.{digits}f}%"


templates.env.filters["num"] = _num
templates.env.filters["pct"] = _pct
templates.env.globals["Permission"] = Permission
templates.env.globals["Role"] = Role


def render_fragment(name: str, t: Translator, context: dict[str, Any]) -> Markup:
    """A template rendered without the request: cacheable, identical for every user given
    the same context. Autoescaping applies as in full pages."""
    html = templates.env.get_template(name).render({"t": t, "lang": t.lang, **context})
    return Markup(html)


def render(request: Request, name: str, t: Translator, context: dict[str, Any] | None = None,
           status_code: int = 200) -> HTMLResponse:
    session = getattr(request.state, "session", None)
    ctx: dict[str, Any] = {
        "t": t, "lang": t.lang,
        "user": session.user if session else None,
        "csrf_token": session.csrf_token if session else "",
        "path": request.url.path,
    }
    ctx.update(context or {})
    return templates.TemplateResponse(request, name, ctx, status_code=status_code)
