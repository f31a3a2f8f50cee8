"""Bar charts drawn on the server as SVG (no chart library, no CDN), with a y axis, day labels,
the value on each bar, and the same figures as a table for screen readers and copying.

`bar_chart` returns the geometry; `templates/dashboard/_bar_chart.html` draws it.
"""

import math
from dataclasses import dataclass
from datetime import date

WIDTH, HEIGHT = 460, 190
LEFT, RIGHT, TOP, BOTTOM = 34, 6, 14, 34  # room for the y labels, the values and the x labels
MAX_TICKS = 4


@dataclass(frozen=True)
class Bar:
    day: date
    value: int
    x: float
    y: float
    width: float
    height: float
    show_label: bool  # the day's number under the bar (every other day when bars are narrow)

    @property
    def centre(self) -> float:
        return self.x + self.width / 2


@dataclass(frozen=True)
class Tick:
    value: int
    y: float


@dataclass(frozen=True)
class BarChart:
    id: str
    title: str
    value_label: str  # the column heading for the values ("Conversations")
    bars: list[Bar]
    ticks: list[Tick]
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    top: int = TOP
    right_edge: int = WIDTH - RIGHT
    baseline: int = HEIGHT - BOTTOM

    @property
    def total(self) -> int:
        return sum(bar.value for bar in self.bars)

    @property
    def peak(self) -> Bar | None:
        return max(self.bars, key=lambda bar: bar.value, default=None)


def nice_step(peak: int, max_ticks: int = MAX_TICKS) -> int:
    """The smallest 1, 2 or 5 × 10ⁿ step that covers `peak` in at most `max_ticks` steps."""
    if peak <= max_ticks:
        return 1
    magnitude = 10 ** math.floor(math.log10(peak / max_ticks))
    for factor in (1, 2, 5, 10):
        if factor * magnitude * max_ticks >= peak:
            return factor * magnitude
    return 10 * magnitude


def bar_chart(series: list[tuple[date, int]], *, id: str, title: str, value_label: str) -> BarChart:
    peak = max((value for _, value in series), default=0)
    step = nice_step(max(peak, 1))
    top = step * math.ceil(max(peak, 1) / step)
    plot_height = HEIGHT - TOP - BOTTOM
    plot_width = WIDTH - LEFT - RIGHT
    slot = plot_width / max(len(series), 1)
    gap = min(6.0, slot * 0.2)
    every = 1 if slot >= 22 else 2
    bars = []
    for index, (day, value) in enumerate(series):
        height = plot_height * value / top
        bars.append(
            Bar(
                day=day,
                value=value,
                x=round(LEFT + index * slot + gap / 2, 1),
                y=round(HEIGHT - BOTTOM - height, 1),
                width=round(slot - gap, 1),
                height=round(height, 1),
                show_label=(len(series) - 1 - index) % every == 0,
            )
        )
    ticks = [Tick(value=v, y=round(HEIGHT - BOTTOM - plot_height * v / top, 1)) for v in range(0, top + 1, step)]
    return BarChart(id=id, title=title, value_label=value_label, bars=bars, ticks=ticks)
