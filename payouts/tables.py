import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core.tables import ConfigurableTable, MoneyColumn

from .models import Payout, PayoutBatch

NUM = {"td": {"class": "num"}, "th": {"class": "num"}}


def _badge(status: str, label: str):
    return format_html('<span class="badge badge-{}">{}</span>', status, label)


class PayoutBatchTable(ConfigurableTable):
    batch = tables.Column(accessor="pk", verbose_name=_("Batch"), order_by=("id",))
    method = tables.Column(verbose_name=_("Method"), order_by=("method", "id"))
    currency = tables.Column(verbose_name=_("Currency"))
    status = tables.Column(order_by=("status", "id"), verbose_name=_("Status"))
    payout_count = tables.Column(verbose_name=_("Payouts"), attrs=NUM, orderable=False)
    total = MoneyColumn(accessor="total_minor", verbose_name=_("Total"), orderable=False)
    failed_count = tables.Column(verbose_name=_("Failed or returned"), attrs=NUM, orderable=False)
    created_at = tables.DateTimeColumn(format="Y-m-d H:i", verbose_name=_("Made"), order_by=("created_at", "id"))
    created_by = tables.Column(verbose_name=_("Made by"), orderable=False)
    sent_at = tables.DateTimeColumn(format="Y-m-d H:i", verbose_name=_("Sent"), orderable=False)

    default_columns = ("batch", "method", "currency", "status", "payout_count", "total", "failed_count", "created_at", "sent_at")

    class Meta:
        model = PayoutBatch
        fields = ()
        empty_text = _("No batches yet.")
        order_by = ("-created_at",)

    def render_batch(self, value, record):
        return format_html('<a href="{}">Batch {}</a>', reverse("payouts:batch_detail", args=[value]), value)

    def render_method(self, value, record):
        return record.get_method_display()

    def render_status(self, value, record):
        return _badge(record.status, record.get_status_display())


class PayoutTable(ConfigurableTable):
    payout = tables.Column(accessor="pk", verbose_name=_("Payout"), order_by=("id",))
    participant = tables.Column(accessor="incentive__participant__name", verbose_name=_("Participant"), orderable=False)
    study = tables.Column(accessor="incentive__study__name", verbose_name=_("Study"), orderable=False)
    destination = tables.Column(accessor="incentive__payout_destination", verbose_name=_("To"), orderable=False)
    amount = MoneyColumn(accessor="amount_minor", verbose_name=_("Amount"), orderable=False)
    status = tables.Column(order_by=("status", "id"), verbose_name=_("Status"))
    reason = tables.Column(verbose_name=_("Reason"), orderable=False)
    actions = tables.TemplateColumn(template_name="payouts/_payout_actions.html", verbose_name="", orderable=False)

    default_columns = ("payout", "participant", "study", "destination", "amount", "status", "reason")

    class Meta:
        model = Payout
        fields = ()
        empty_text = _("No payouts match.")
        order_by = ("id",)

    def render_status(self, value, record):
        return _badge(record.status, record.get_status_display())
