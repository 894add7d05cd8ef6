"""Jinja2 environment (autoescaping on) and the page renderer every route uses."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from junheng.web.access import Permission, Role
from junheng.web.i18n import Translator
from junheng.web.services.sizes import band_words
from junheng.web.services.views import CityGoal

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


def file_size(size: int | None) -> str:
    """A file's size with its unit: "0.2 KB" for a small file (never "0 KB"), "2.3 MB"."""
    if size is None:
        return "—"
    if size < 1024 * 1024:
        return f"{max(size / 1024, 0.1):.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def audit_target(target: str | None, t: Translator) -> str:
    """``school:6207020001`` as 学校 6207020001."""
    if not target:
        return ""
    kind, sep, ident = target.partition(":")
    if kind == "evidence" and ident.count("|") >= 3:
        from junheng.supervision.register import load_register

        county, no, indicator, year = ident.rsplit("|", 3)
        return t("audit.evidence_target", county=county, no=no, year=year,
                 label=load_register().indicator_label(indicator, t.lang))
    return f"{t('audit.key.' + kind)} {ident}" if sep else target


def audit_detail(detail: str | None, t: Translator) -> str:
    """The JSON an audit row keeps, as a line of words: keys and coded values through the
    catalogue and the field registry (tables, stages, columns), no JSON text."""
    if not detail:
        return ""
    try:
        data = json.loads(detail)
    except ValueError:
        return detail
    if not isinstance(data, dict):
        return _audit_value("", data, t)
    return t("common.semicolon").join(
        f"{t('audit.key.' + str(k))}{t('common.colon')}{_audit_value(str(k), v, t)}"
        for k, v in data.items() if v is not None)


def _audit_value(key: str, value: Any, t: Translator) -> str:
    if isinstance(value, bool):
        return t("common.yes") if value else t("common.no")
    if key == "role":
        return t.label("role", str(value))
    if key == "status":
        return t.label("upload", str(value))
    if key == "last_at" and isinstance(value, str):  # counted rows: the latest attempt
        return china_time(value, "%Y-%m-%d %H:%M:%S")
    if key in ("year", "years"):  # 2024, not "2,024"
        if isinstance(value, list):
            return t("common.comma").join(str(v) for v in value)
        return str(value)
    if isinstance(value, dict):
        return t("common.comma").join(f"{_audit_key(str(k), t)} {_audit_value('', v, t)}"
                        for k, v in value.items())
    if isinstance(value, list):
        return " → ".join(_num(v) for v in value)
    return _num(value)


def _audit_key(key: str, t: Translator) -> str:
    stage, dot, column = key.partition(".")
    if dot:
        return f"{t.label('stage', stage)}{t.key(column)}"
    return t.label("table", key, t.key(key))


# The bureau reads times in China time; the database keeps UTC (naive values are UTC).
CHINA = ZoneInfo("Asia/Shanghai")


def china_time(value: datetime | str | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored time (datetime or ISO text, UTC) as China time."""
    if value is None or value == "":
        return ""
    when = datetime.fromisoformat(value) if isinstance(value, str) else value
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(CHINA).strftime(fmt)


def lang_switch_url(request: Request, lang: str) -> str:
    """This page, with its parameters, in the other language."""
    other = "en" if lang == "zh" else "zh"
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    return f"{request.url.path}?{urlencode([*params, ('lang', other)])}"


def goal_label(goal: CityGoal, t: Translator) -> str:
    """"2027年目标（三分之二区县）" from a target of the city's measures."""
    return t("city.goal", year=goal.year, share=t.label("share", goal.share, goal.share))


templates.env.filters["num"] = _num
templates.env.filters["pct"] = _pct
templates.env.filters["file_size"] = file_size
templates.env.filters["audit_target"] = audit_target
templates.env.filters["china_time"] = china_time
templates.env.filters["goal_label"] = goal_label
templates.env.filters["audit_detail"] = audit_detail
# The class-size bands' limits for the band names ("46–55人"), from the standard.
templates.env.globals["bands"] = band_words()
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
        "lang_switch": lang_switch_url(request, t.lang),
    }
    ctx.update(context or {})
    return templates.TemplateResponse(request, name, ctx, status_code=status_code)
