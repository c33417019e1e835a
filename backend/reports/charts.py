"""Horizontal bar charts as inline SVG, drawn on the server. Pure.

Each chart has a <title> and a <desc> and sits above its table, which carries the same figures
for screen readers and for copying; hidden (suppressed) cells get no bar, only their mark.

The SVG has no viewBox: its user units are CSS pixels, so text keeps its font size (FONT px,
set in app.css) at every width, from a 320 px phone to a desktop. Bars and their values are
placed in percent of the chart's width; each label has a line of its own above its bar, wrapped
at whole words so that it fits a phone's width."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

FONT = 14  # px, as .chart-label and .chart-value in app.css
LINE = 18  # px per line of a label
BAR_HEIGHT = 14
GAP = 10  # px between one bar and the next label
BAR_SPAN = 80  # % of the width for the largest bar; the rest leaves room for its value
MAX_BARS = 40
# Characters per label line: DejaVu Sans, the widest common fallback, needs about 0.6 em per
# character, so 30 characters at 14 px fit the ~260 px a chart has on a 320 px phone.
LINE_CHARS = 30
MAX_LINES = 2


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None  # None: hidden or not available
    text: str  # how the value is written (formatted, or "<5")


def label_lines(label: str, width: int = LINE_CHARS, most: int = MAX_LINES) -> list[str]:
    """The label in lines of at most `width` characters, broken between words (a word longer
    than a line is cut); beyond `most` lines the last one ends in "…"."""
    lines: list[str] = []
    current = ""
    for word in label.split():
        while len(word) > width:
            if current:
                lines.append(current)
                current = ""
            lines.append(word[: width - 1] + "-")
            word = word[width - 1 :]
        candidate = f"{current} {word}" if current else word
        if len(candidate) <= width:
            current = candidate
        else:
            lines.append(current)
            current = word
    if current or not lines:
        lines.append(current)
    if len(lines) > most:
        last = lines[most - 1]
        lines = [*lines[: most - 1], (last if len(last) < width else last[: width - 1]) + "…"]
    return lines


def bar_chart(title: str, description: str, bars: Sequence[Bar], chart_id: str) -> Markup:
    bars = list(bars)[:MAX_BARS]
    largest = max((b.value for b in bars if b.value is not None), default=0) or 1
    body: list[str] = []
    y = GAP
    for bar in bars:
        for line in label_lines(bar.label):
            body.append(f'<text class="chart-label" x="0" y="{y + LINE - 4}">{escape(line)}</text>')
            y += LINE
        share = 0.0 if bar.value is None else max(0.0, bar.value) / largest * BAR_SPAN
        if share > 0:
            body.append(f'<rect class="chart-bar" x="0" y="{y}" width="{share:.2f}%" height="{BAR_HEIGHT}"/>')
        body.append(
            f'<text class="chart-value" x="{share:.2f}%" dx="{6 if share > 0 else 0}" '
            f'y="{y + BAR_HEIGHT / 2:.0f}" dominant-baseline="central">{escape(bar.text)}</text>'
        )
        y += BAR_HEIGHT + GAP
    height = max(y, GAP)
    parts = [
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="100%" height="{height}" '
        f'role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" focusable="false">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
        *body,
        "</svg>",
    ]
    return Markup("".join(parts))  # noqa: S704 - every text above is escaped
