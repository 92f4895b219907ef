from django import template

from core.money import Money, format_money

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
