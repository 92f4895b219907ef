import django_tables2 as tables
from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils.translation import gettext_lazy as _, pgettext_lazy

from core.tables import ConfigurableTable, MoneyColumn
from core.templatetags.money import signed


class CountColumn(tables.Column):
    """How many incentives; 0 when the budget has none."""

    attrs = {"td": {"class": "num"}, "th": {"class": "num"}}
    empty_values = ()

    def render(self, value):
        return intcomma(value or 0)


class BudgetTable(ConfigurableTable):
    name = tables.LinkColumn("budgets:detail", args=[tables.A("pk")], verbose_name=_("Name"))
    currency = tables.Column(verbose_name=_("Currency"))
    funded = MoneyColumn(accessor="funded_minor", verbose_name=_("Funded"), orderable=False)
    reserved = MoneyColumn(accessor="reserved_minor", verbose_name=_("Reserved"), orderable=False)
    payable = MoneyColumn(accessor="payable_minor", verbose_name=_("Payable"), orderable=False)
    paid_out = MoneyColumn(accessor="paid_out_minor", verbose_name=_("Paid out"), orderable=False)
    available = MoneyColumn(accessor="available_minor", verbose_name=_("Available"), orderable=False)
    sent = CountColumn(accessor="sent_count", verbose_name=_("Sent"))
    unclaimed = CountColumn(accessor="unclaimed_count", verbose_name=pgettext_lazy("incentive count", "Unclaimed"))
    claimed = CountColumn(accessor="claimed_count", verbose_name=pgettext_lazy("incentive count", "Claimed"))
    cancelled = CountColumn(accessor="cancelled_count", verbose_name=pgettext_lazy("incentive count", "Cancelled"))

    default_columns = ("name", "currency", "funded", "reserved", "payable", "paid_out", "available", "sent", "unclaimed", "claimed", "cancelled")

    class Meta:
        empty_text = _("No budgets yet.")
        order_by = "name"


class LedgerTable(tables.Table):
    """A budget's ledger, newest first: what each transaction moved in each of its accounts,
    and, for owners, the Correct action on a fund or withdrawal (budgets.services.ledger_reverse)."""

    created_at = tables.DateTimeColumn(format="Y-m-d H:i", verbose_name=_("When"))
    kind = tables.TemplateColumn(template_name="budgets/_ledger_what.html", verbose_name=_("What"))
    actor_label = tables.Column(verbose_name=_("By"))
    reference = tables.Column(verbose_name=_("Reference"))
    available = tables.Column(empty_values=(), verbose_name=_("Available"), attrs=CountColumn.attrs)
    reserved = tables.Column(empty_values=(), verbose_name=_("Reserved"), attrs=CountColumn.attrs)
    payable = tables.Column(empty_values=(), verbose_name=_("Payable"), attrs=CountColumn.attrs)
    paid_out = tables.Column(empty_values=(), verbose_name=_("Paid out"), attrs=CountColumn.attrs)
    actions = tables.TemplateColumn(template_name="budgets/_ledger_correct.html", verbose_name="", orderable=False)

    class Meta:
        orderable = False
        empty_text = _("No money has moved yet.")
        sequence = ("created_at", "kind", "actor_label", "reference", "available", "reserved", "payable", "paid_out", "actions")

    def __init__(self, data, *, budget, can_correct: bool, **kwargs):
        self.budget = budget
        self.accounts = {
            budget.available_account_id: "available",
            budget.reserved_account_id: "reserved",
            budget.payable_account_id: "payable",
            budget.paid_out_account_id: "paid_out",
        }
        super().__init__(data, prefix="ledger_", **kwargs)
        if not can_correct:
            self.columns.hide("actions")

    def _delta(self, record, kind):
        moved = [entry.amount_minor for entry in record.entries.all() if self.accounts.get(entry.account_id) == kind]
        return signed(self.budget.money(sum(moved))) if moved else ""

    def render_available(self, record):
        return self._delta(record, "available")

    def render_reserved(self, record):
        return self._delta(record, "reserved")

    def render_payable(self, record):
        return self._delta(record, "payable")

    def render_paid_out(self, record):
        return self._delta(record, "paid_out")
