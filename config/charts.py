"""Small bar charts rendered on the server as SVG (no chart library, no CDN)."""

from django.utils.formats import date_format
from django.utils.html import escape
from django.utils.safestring import mark_safe

WIDTH, HEIGHT, GAP = 420, 120, 4


def bar_chart(series: list[tuple], *, label: str) -> str:
    peak = max((value for _, value in series), default=0) or 1
    bar_width = (WIDTH - GAP * (len(series) - 1)) / max(len(series), 1)
    bars = []
    for index, (day, value) in enumerate(series):
        height = round((HEIGHT - 20) * value / peak)
        x = index * (bar_width + GAP)
        title = f"{date_format(day, 'SHORT_DATE_FORMAT')}: {value}"
        bars.append(
            f"<g><title>{escape(title)}</title>"
            f'<rect x="{x:.1f}" y="{HEIGHT - 14 - height}" width="{bar_width:.1f}" height="{height}" rx="2"></rect>'
            f'<text x="{x + bar_width / 2:.1f}" y="{HEIGHT - 2}" text-anchor="middle">{day.day}</text></g>'
        )
    opening = f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(label)}">'
    return mark_safe(opening + "".join(bars) + "</svg>")  # every interpolated text is escaped above
