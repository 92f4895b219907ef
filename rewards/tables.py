import django_tables2 as tables
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _


def _balances(record, attribute):
    return format_html_join(
        ", ", "{}", ((str(getattr(balance, attribute)),) for balance in record.account.balances.all())
    ) or "—"


class AdvocateTable(tables.Table):
    name = tables.LinkColumn("rewards:advocate_detail", args=[tables.A("pk")], verbose_name=_("Name"))
    email = tables.Column(verbose_name=_("Email"))
    account = tables.Column(order_by=("account__name",), verbose_name=_("Account"))
    w9_submitted_at = tables.DateColumn(verbose_name=_("W-9"), format="Y-m-d", default=_("Missing"))
    available = tables.Column(empty_values=(), orderable=False, verbose_name=_("Account available"), attrs={"td": {"class": "num"}, "th": {"class": "num"}})
    pending = tables.Column(empty_values=(), orderable=False, verbose_name=_("Account pending"), attrs={"td": {"class": "num"}, "th": {"class": "num"}})

    class Meta:
        empty_text = _("No participants match.")
        order_by = "name"
        attrs = {"id": "advocates"}

    def render_available(self, record):
        return _balances(record, "available")

    def render_pending(self, record):
        return _balances(record, "pending")
