from django import template

from core.money import Money, format_money, format_number

register = template.Library()


@register.filter
def money(amount_minor, currency):
    """{{ incentive.amount_minor|money:incentive.currency }} -> $25.00"""
    if amount_minor is None or amount_minor == "":
        return ""
    return format_money(int(amount_minor), currency)


@register.filter
def signed(value: Money | None):
    """+$5.00 / -$5.00 for ledger movements; empty for None."""
    if not isinstance(value, Money):
        return ""
    return f"+{value}" if value.amount_minor > 0 else str(value)


@register.filter
def number(value, decimal_places=None):
    """{{ count|number }} -> 1,234 in English, 1 234 in French (Babel, the active language)."""
    if value is None or value == "":
        return ""
    return format_number(value, None if decimal_places in (None, "") else int(decimal_places))
