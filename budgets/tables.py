import django_tables2 as tables
from django.contrib.humanize.templatetags.humanize import intcomma

from core.tables import ConfigurableTable, MoneyColumn


class CountColumn(tables.Column):
    """How many incentives; 0 when the budget has none."""

    attrs = {"td": {"class": "num"}, "th": {"class": "num"}}
    empty_values = ()

    def render(self, value):
        return intcomma(value or 0)


class BudgetTable(ConfigurableTable):
    name = tables.LinkColumn("budgets:detail", args=[tables.A("pk")])
    currency = tables.Column()
    funded = MoneyColumn(accessor="funded_minor", orderable=False)
    reserved = MoneyColumn(accessor="reserved_minor", verbose_name="Reserved", orderable=False)
    paid_out = MoneyColumn(accessor="paid_out_minor", verbose_name="Spent", orderable=False)
    available = MoneyColumn(accessor="available_minor", orderable=False)
    sent = CountColumn(accessor="sent_count")
    unclaimed = CountColumn(accessor="unclaimed_count")
    claimed = CountColumn(accessor="claimed_count")
    cancelled = CountColumn(accessor="cancelled_count")

    default_columns = ("name", "currency", "funded", "reserved", "paid_out", "available", "sent", "unclaimed", "claimed", "cancelled")

    class Meta:
        empty_text = "No budgets yet."
        order_by = "name"
