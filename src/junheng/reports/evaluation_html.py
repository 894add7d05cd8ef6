"""HTML report of an evaluation (self-contained: inline CSS, no remote assets, works offline).

Renders ``Evaluation.to_json()`` with the Jinja2 template ``templates/evaluation.html``;
nothing is recomputed here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from junheng.reports.labels import (
    COMPARISON_ZH,
    PART_ZH,
    STAGE_ZH,
    county_verdict_zh,
    fmt_value,
    key_zh,
    status_zh,
)


def _env() -> Environment:
    env = Environment(loader=PackageLoader("junheng.reports", "templates"),
                      autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)
    env.filters.update(status_zh=status_zh, county_zh=county_verdict_zh, value=_display,
                       stage_zh=lambda s: STAGE_ZH.get(s, s), part_zh=lambda p: PART_ZH.get(p, p),
                       cmp_zh=lambda c: COMPARISON_ZH.get(c or "", ""), key_zh=key_zh)
    return env


def _display(v: Any) -> str:
    v = fmt_value(v)
    if v is None:
        return "—"
    if isinstance(v, float):
        return f"{v:.4f}".rstrip("0").rstrip(".") if abs(v) < 1000 else f"{v:,.0f}"
    return str(v)


def render_evaluation_html(result: dict[str, Any]) -> str:
    schools_by_county: dict[str, list[dict[str, Any]]] = {}
    for s in result.get("schools") or []:
        schools_by_county.setdefault(s["county_code"], []).append(s)
    return _env().get_template("evaluation.html").render(
        r=result, schools_by_county=schools_by_county,
        judged=[i for i in result.get("indicators", []) if i["comparison"] is not None],
    )


def write_evaluation_html(result: dict[str, Any], out: Path) -> None:
    out.write_text(render_evaluation_html(result), encoding="utf-8")
