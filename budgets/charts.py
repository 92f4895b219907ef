"""The budget page's chart of funds over time, drawn on the server as SVG (no script, no
inline styles: lines are coloured by class in recipients.css)."""

import datetime

from core.money import format_money

WIDTH, HEIGHT = 720, 220
LEFT, RIGHT, TOP, BOTTOM = 96, 10, 10, 24
MIN_DAYS = 30  # a young budget's chart still spans a month, its lines starting at zero
KINDS = [("available", "Available"), ("reserved", "Reserved (sent, unclaimed)"), ("payable", "Payable (claimed, not paid)"), ("paid_out", "Paid out")]


def funds_chart(series: list[tuple[datetime.date, dict[str, int]]], *, currency: str, today: datetime.date) -> dict | None:
    """Step lines of each balance up to today, over at least MIN_DAYS; None before money moved."""
    if not series:
        return None
    first = min(series[0][0], today - datetime.timedelta(days=MIN_DAYS))
    days = (today - first).days
    top = max(max(balances.values()) for _, balances in series) or 1
    plot_width, plot_height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(day):
        return round(LEFT + plot_width * (day - first).days / days, 1)

    def y(amount):
        return round(TOP + plot_height * (1 - amount / top), 1)

    lines = []
    for kind, label in KINDS:
        points, previous = [f"{x(first)},{y(0)}"], 0
        for day, balances in series:
            points.append(f"{x(day)},{y(previous)}")
            points.append(f"{x(day)},{y(balances.get(kind, 0))}")
            previous = balances.get(kind, 0)
        points.append(f"{x(today)},{y(previous)}")
        lines.append({"kind": kind, "label": label, "points": " ".join(points), "last": format_money(previous, currency)})
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "left": LEFT,
        "bottom": HEIGHT - BOTTOM,
        "right": WIDTH - RIGHT,
        "top": TOP,
        "lines": lines,
        "top_label": format_money(top, currency),
        "zero_label": format_money(0, currency),
        "first_day": first,
        "today": today,
    }
