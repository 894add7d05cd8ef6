"""Small charts drawn as SVG text from the figures a report already holds.

Drawn by hand rather than with a plotting library: the reports need three kinds of chart
(bars against a limit, stacked counts, a line over years), the PDF renderer draws SVG itself,
and the text stays searchable and uses the same CJK font as the page. Every chart has a fixed
width in CSS pixels so it never overflows an A4 column.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

FONT = "Noto Sans CJK SC, Noto Sans CJK, sans-serif"
STATUS_COLOURS = {"done": "#4e9a5f", "in_progress": "#e0a526", "lagging": "#c8423b",
                  "not_reported": "#9aa5b1", "passed": "#4e9a5f", "failed": "#c8423b"}


def _num(v: float) -> str:
    if abs(v) >= 10000:
        return f"{v / 10000:,.1f}万"
    if abs(v) >= 100:
        return f"{v:,.0f}"
    return f"{v:.3g}"


def _short(label: str, n: int = 20) -> str:
    """A bar's label cut to fit its column (the table below the chart has the full words)."""
    return label if len(label) <= n else label[:n - 1] + "…"


def _nice_top(v: float) -> tuple[float, float]:
    """The axis top and step: 4 steps of 1, 2, 2.5 or 5 × a power of ten covering ``v``."""
    import math

    raw = max(v, 1e-9) / 4
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    return step * 4, step


def _svg(width: int, height: int, body: list[str], title: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{width}" '
            f'height="{height}" viewBox="0 0 {width} {height}" font-family="{FONT}" '
            f'font-size="11" role="img" aria-label="{escape(title)}">'
            f'<title>{escape(title)}</title>' + "".join(body) + "</svg>")


def bars_against_limit(rows: Sequence[tuple[str, float | None, float | None]], title: str,
                       width: int = 640, value_label: str = "", limit_label: str = "上限"
                       ) -> str:
    """One horizontal bar per row (label, value, limit): red when above its limit, green
    otherwise, with the limit drawn as a dark tick. Used for CVs against their caps."""
    label_w, bar_h, gap, top = 250, 14, 6, 26
    height = top + len(rows) * (bar_h + gap) + 24
    top_value = max([v for _, v, _ in rows if v is not None]
                    + [lim for _, _, lim in rows if lim is not None] + [1e-9])
    scale = (width - label_w - 60) / top_value
    body = [f'<text x="0" y="14" font-size="12" font-weight="bold">{escape(title)}</text>']
    for i, (label, value, limit) in enumerate(rows):
        y = top + i * (bar_h + gap)
        body.append(f'<text x="{label_w - 6}" y="{y + bar_h - 3}" text-anchor="end">'
                    f'{escape(_short(label))}</text>')
        if value is None:
            body.append(f'<text x="{label_w + 4}" y="{y + bar_h - 3}" fill="#777">未报送</text>')
            continue
        over = limit is not None and value > limit
        colour = STATUS_COLOURS["failed" if over else "passed"]
        w = max(1.0, value * scale)
        body.append(f'<rect class="bar" x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h}" '
                    f'fill="{colour}"/>')
        body.append(f'<text x="{label_w + w + 4:.1f}" y="{y + bar_h - 3}">{_num(value)}</text>')
        if limit is not None:
            x = label_w + limit * scale
            body.append(f'<line x1="{x:.1f}" y1="{y - 2}" x2="{x:.1f}" y2="{y + bar_h + 2}" '
                        'stroke="#222" stroke-width="2"/>')
    legend_y = height - 6
    body.append(f'<rect x="{label_w}" y="{legend_y - 9}" width="10" height="10" '
                f'fill="{STATUS_COLOURS["passed"]}"/><text x="{label_w + 14}" y="{legend_y}">'
                f'{escape(value_label or "数值")}（未超{escape(limit_label)}）</text>')
    body.append(f'<rect x="{label_w + 170}" y="{legend_y - 9}" width="10" height="10" '
                f'fill="{STATUS_COLOURS["failed"]}"/><text x="{label_w + 184}" y="{legend_y}">'
                f'超{escape(limit_label)}</text>')
    body.append(f'<line x1="{label_w + 250}" y1="{legend_y - 9}" x2="{label_w + 250}" '
                f'y2="{legend_y + 1}" stroke="#222" stroke-width="2"/>'
                f'<text x="{label_w + 256}" y="{legend_y}">{escape(limit_label)}</text>')
    return _svg(width, height, body, title)


def stacked_counts(rows: Sequence[tuple[str, Sequence[int]]],
                   series: Sequence[tuple[str, str]], title: str, width: int = 640) -> str:
    """One horizontal stacked bar per row (label, counts in the order of ``series``);
    ``series`` is (name, colour). Used for the measures' statuses per county."""
    label_w, bar_h, gap, top = 120, 16, 6, 26
    height = top + len(rows) * (bar_h + gap) + 26
    most = max([sum(c) for _, c in rows] + [1])
    scale = (width - label_w - 20) / most
    body = [f'<text x="0" y="14" font-size="12" font-weight="bold">{escape(title)}</text>']
    for i, (label, counts) in enumerate(rows):
        y = top + i * (bar_h + gap)
        body.append(f'<text x="{label_w - 6}" y="{y + bar_h - 3}" text-anchor="end">'
                    f'{escape(label)}</text>')
        x = float(label_w)
        for n, (_name, colour) in zip(counts, series, strict=True):
            if n <= 0:
                continue
            w = n * scale
            body.append(f'<rect class="bar" x="{x:.1f}" y="{y}" width="{w:.1f}" '
                        f'height="{bar_h}" fill="{colour}"/>')
            if w >= 14:
                body.append(f'<text x="{x + w / 2:.1f}" y="{y + bar_h - 4}" fill="#fff" '
                            f'text-anchor="middle">{n}</text>')
            x += w
    legend_y = height - 6
    for k, (name, colour) in enumerate(series):
        lx = label_w + k * 110
        body.append(f'<rect x="{lx}" y="{legend_y - 9}" width="10" height="10" '
                    f'fill="{colour}"/><text x="{lx + 14}" y="{legend_y}">{escape(name)}</text>')
    return _svg(width, height, body, title)


def line_over_years(years: Sequence[int], series: Sequence[tuple[str, str,
                                                                Sequence[float | None]]],
                    title: str, width: int = 640, height: int = 200,
                    goals: Sequence[tuple[int, float, str]] = ()) -> str:
    """Lines over school years (name, colour, values; None leaves a gap); ``goals`` are
    (year, value, label) marks, e.g. the counties the city must have certified by 2027."""
    left, right, top, bottom = 60, 20, 26, 40
    xs = list(years) + [g[0] for g in goals]
    vals = [v for _, _, vs in series for v in vs if v is not None] + [g[1] for g in goals]
    if not xs or not vals:
        return _svg(width, 40, [f'<text x="0" y="14">{escape(title)}：未报送</text>'], title)
    x0, x1 = min(xs), max(xs)
    v1, step = _nice_top(max(vals) * 1.05)
    plot_w, plot_h = width - left - right, height - top - bottom

    def px(x: float) -> float:
        return left + (plot_w * (x - x0) / (x1 - x0) if x1 > x0 else plot_w / 2)

    def py(v: float) -> float:
        return top + plot_h * (1 - v / v1)

    body = [f'<text x="0" y="14" font-size="12" font-weight="bold">{escape(title)}</text>',
            f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" '
            'stroke="#555"/>',
            f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" stroke="#555"/>']
    for k in range(5):
        v = step * k
        body.append(f'<text x="{left - 4}" y="{py(v) + 4:.1f}" text-anchor="end">{_num(v)}'
                    '</text>')
    for x in sorted(set(xs)):
        body.append(f'<text x="{px(x):.1f}" y="{top + plot_h + 14}" text-anchor="middle">{x}'
                    '</text>')
    for _name, colour, vs in series:
        pts = [(px(x), py(v)) for x, v in zip(years, vs, strict=True) if v is not None]
        if len(pts) > 1:
            body.append('<polyline class="line" fill="none" stroke-width="2" stroke="'
                        f'{colour}" points="' + " ".join(f"{a:.1f},{b:.1f}" for a, b in pts)
                        + '"/>')
        body.extend(f'<circle cx="{a:.1f}" cy="{b:.1f}" r="3" fill="{colour}"/>'
                    for a, b in pts)
    for gx, gv, glabel in goals:
        body.append(f'<rect class="goal" x="{px(gx) - 5:.1f}" y="{py(gv) - 5:.1f}" width="10" '
                    f'height="10" fill="none" stroke="#c8423b" stroke-width="2"/>'
                    f'<text x="{px(gx) - 8:.1f}" y="{py(gv) - 9:.1f}" text-anchor="end" '
                    f'fill="#c8423b">{escape(glabel)}</text>')
    for k, (name, colour, _vs) in enumerate(series):
        lx = left + k * 160
        body.append(f'<line x1="{lx}" y1="{height - 9}" x2="{lx + 16}" y2="{height - 9}" '
                    f'stroke="{colour}" stroke-width="2"/>'
                    f'<text x="{lx + 20}" y="{height - 5}">{escape(name)}</text>')
    return _svg(width, height, body, title)
