"""HTML report of an evaluation (self-contained: inline CSS, no remote assets, works offline).

Renders the typed :class:`~junheng.standards.engine.Evaluation` with the Jinja2 template
``templates/evaluation.html``; nothing is recomputed here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from junheng.reports.labels import (
    COMPARISON_ZH,
    PART_ZH,
    STAGE_ZH,
    county_verdict_zh,
    fmt_value,
    ids_zh,
    key_zh,
    status_zh,
)
from junheng.standards.engine import Evaluation
from junheng.standards.loader import Indicator
from junheng.standards.results import CityResult, CountyResult, RuleTrace, SchoolResult


def _env() -> Environment:
    env = Environment(loader=PackageLoader("junheng.reports", "templates"),
                      autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)
    env.filters.update(status_zh=status_zh, county_zh=county_verdict_zh, value=_display,
                       stage_zh=lambda s: STAGE_ZH.get(s, s), part_zh=lambda p: PART_ZH.get(p, p),
                       cmp_zh=lambda c: COMPARISON_ZH.get(c or "", ""), key_zh=key_zh,
                       ids_zh=ids_zh)
    return env


def _display(v: Any) -> str:
    v = fmt_value(v)
    if v is None:
        return "—"
    if isinstance(v, float):
        return f"{v:.4f}".rstrip("0").rstrip(".") if abs(v) < 1000 else f"{v:,.0f}"
    return str(v)


@dataclass(frozen=True)
class _Report:
    """What the template reads: the standard's header, the typed verdicts and the rules."""

    standard_label: str
    source: str
    year: int
    as_of: str
    standard_kind: str
    indicators: list[Indicator]
    counties: tuple[CountyResult, ...]
    city: CityResult | None
    excluded: list[dict[str, Any]]
    rules: dict[str, RuleTrace]


def render_evaluation_html(ev: Evaluation, include_schools: bool = True) -> str:
    schools_by_county: dict[str, list[SchoolResult]] = {}
    for s in ev.school_results() if include_schools else []:
        schools_by_county.setdefault(s.county_code, []).append(s)
    std = ev.standard
    report = _Report(
        standard_label=std.label, source=std.source, year=ev.year,
        as_of=ev.rules.as_of.isoformat(), standard_kind=std.kind,
        indicators=list(std.indicators), counties=ev.counties, city=ev.city,
        excluded=ev.excluded.to_dicts() if include_schools else [],
        rules=ev.rules.rule_traces(),
    )
    return _env().get_template("evaluation.html").render(
        r=report, schools_by_county=schools_by_county,
        judged=[i for i in std.indicators if i.rule is not None],
    )


def write_evaluation_html(ev: Evaluation, out: Path, include_schools: bool = True) -> None:
    out.write_text(render_evaluation_html(ev, include_schools), encoding="utf-8")
