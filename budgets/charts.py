"""The budget page's chart of funds by day, drawn on the server as SVG (no script, no inline
styles). One stacked bar a day (a budget whose money moved once still gets its bar); each kind
of balance has its own pattern as well as its colour, each bar names its figures in its title,
and the page lists the figures as a table, so nothing is told by colour alone."""

import datetime
import math

from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _, pgettext

from core.money import format_money

WIDTH, HEIGHT = 720, 220
LEFT, RIGHT, TOP, BOTTOM = 96, 10, 10, 24
DAYS = 31  # the chart shows the last month of days (every balance is carried to the next day)
MAX_BAR_WIDTH, DATE_LABELS = 48, 6
# Bottom to top; each kind's pattern is defined in the template (budgets/budget_detail.html).
KINDS = [
    ("available", _("Available")), ("reserved", _("Reserved (sent, unclaimed)")),
    ("payable", _("Payable (claimed, not paid)")), ("paid_out", _("Paid out")),
]


def _days(series, first: datetime.date, today: datetime.date):
    """(day, balances at its end) for every day from `first` to `today`, carried forward."""
    moves, balances = dict(series), dict.fromkeys(dict(KINDS), 0)
    for day, values in series:
        if day < first:
            balances = values
    for offset in range((today - first).days + 1):
        day = first + datetime.timedelta(days=offset)
        balances = moves.get(day, balances)
        yield day, balances


def funds_chart(series: list[tuple[datetime.date, dict[str, int]]], *, currency: str, today: datetime.date) -> dict | None:
    """Bars of the last DAYS days up to today (from the first day money moved, if later); None before money moved."""
    if not series:
        return None
    first = max(series[0][0], today - datetime.timedelta(days=DAYS - 1))
    days = list(_days(series, first, today))
    top = max(sum(balances.get(kind, 0) for kind, _ in KINDS) for _, balances in days) or 1
    plot_width, plot_height, bottom = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM, HEIGHT - BOTTOM
    slot = plot_width / len(days)
    width = min(MAX_BAR_WIDTH, slot * 0.7)
    label_every = math.ceil(len(days) / DATE_LABELS)
    bars = []
    for index, (day, balances) in enumerate(days):
        x, y, segments = LEFT + slot * index + (slot - width) / 2, bottom, []
        for kind, _ in KINDS:
            height = plot_height * balances.get(kind, 0) / top
            if height > 0:
                y -= height
                segments.append({"kind": kind, "y": round(y, 1), "height": round(height, 1)})
        figures = ", ".join(f"{label} {format_money(balances.get(kind, 0), currency)}" for kind, label in KINDS)
        last = index == len(days) - 1
        bars.append({
            "x": round(x, 1), "width": round(width, 1), "centre": round(x + width / 2, 1), "segments": segments,
            "title": f"{day:%Y-%m-%d}: {figures}",
            "label": date_format(day, pgettext("short date", "M j")) if last or (index % label_every == 0 and len(days) - index > label_every / 2) else "",
        })
    return {
        "width": WIDTH, "height": HEIGHT, "left": LEFT, "bottom": bottom, "right": WIDTH - RIGHT, "top": TOP,
        "bars": bars,
        "kinds": [{"kind": kind, "label": label, "last": format_money(days[-1][1].get(kind, 0), currency)} for kind, label in KINDS],
        "table": [
            {"day": day, "figures": [format_money(balances.get(kind, 0), currency) for kind, _ in KINDS]}
            for day, balances in series if day >= first
        ],
        "top_label": format_money(top, currency),
        "zero_label": format_money(0, currency),
        "first_day": first,
        "today": today,
    }
