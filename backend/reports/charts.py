"""Horizontal bar charts as inline SVG, drawn on the server. Pure.

Each chart has a <title> and a <desc> and sits next to its table, which carries the same
figures for screen readers and for copying; hidden (suppressed) cells get no bar, only their
mark."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 680
LABEL_WIDTH = 280
VALUE_WIDTH = 70
BAR_HEIGHT = 22
GAP = 6
MAX_BARS = 40
MAX_LABEL = 38  # characters; about 7 px each at the chart's 12 px


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None  # None: hidden or not available
    text: str  # how the value is written (formatted, or "<5")


def bar_chart(title: str, description: str, bars: Sequence[Bar], chart_id: str) -> Markup:
    bars = list(bars)[:MAX_BARS]
    largest = max((b.value for b in bars if b.value is not None), default=0) or 1
    span = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    height = max(1, len(bars)) * (BAR_HEIGHT + GAP) + GAP
    parts = [
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        f'role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" focusable="false">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
    ]
    for index, bar in enumerate(bars):
        y = GAP + index * (BAR_HEIGHT + GAP)
        middle = y + BAR_HEIGHT / 2
        label = bar.label if len(bar.label) <= MAX_LABEL else bar.label[: MAX_LABEL - 1] + "…"
        parts.append(
            f'<text class="chart-label" x="{LABEL_WIDTH - 8}" y="{middle:.0f}" text-anchor="end" '
            f'dominant-baseline="middle">{escape(label)}</text>'
        )
        length = 0.0 if bar.value is None else max(0.0, bar.value) / largest * span
        if length > 0:
            parts.append(
                f'<rect class="chart-bar" x="{LABEL_WIDTH}" y="{y}" '
                f'width="{length:.1f}" height="{BAR_HEIGHT}"/>'
            )
        parts.append(
            f'<text class="chart-value" x="{LABEL_WIDTH + length + 6:.1f}" y="{middle:.0f}" '
            f'dominant-baseline="middle">{escape(bar.text)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text above is escaped
