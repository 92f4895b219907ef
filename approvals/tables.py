import django_tables2 as tables
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core.tables import ConfigurableTable, MoneyColumn

from .models import Approval


class ApprovalTable(ConfigurableTable):
    requested_at = tables.DateTimeColumn(format="Y-m-d H:i", verbose_name=_("Asked"), order_by=("requested_at", "pk"))
    kind = tables.Column(order_by=("kind", "pk"), verbose_name=_("Kind"))
    summary = tables.Column(verbose_name=_("What"), orderable=False)
    amount = MoneyColumn(accessor="amount_minor", verbose_name=_("Total"), order_by=("amount_minor", "pk"))
    requested_by = tables.Column(accessor="requested_by__email", verbose_name=_("Asked by"), orderable=False)
    status = tables.Column(order_by=("status", "pk"), verbose_name=_("Status"))
    decided = tables.Column(accessor="decided_label", verbose_name=_("Decided by"), orderable=False)
    actions = tables.TemplateColumn(template_name="approvals/_actions.html", verbose_name="", orderable=False)

    default_columns = ("requested_at", "kind", "summary", "amount", "requested_by", "status", "decided", "actions")
    fixed_columns = ("actions",)

    class Meta:
        model = Approval
        fields = ()
        empty_text = _("No requests match.")
        order_by = ("-requested_at",)

    def render_summary(self, value, record):
        if record.link:
            return format_html('<a href="{}">{}</a>', record.link, value)
        return value

    def render_status(self, value, record):
        badge = format_html('<span class="badge badge-{}">{}</span>', record.status, record.get_status_display())
        if record.reason:
            return format_html("{}<br><small>{}</small>", badge, record.reason)
        return badge
