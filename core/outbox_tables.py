"""The Email outbox list: its filters and its table (core.lists.list_page)."""

import django_filters
import django_tables2 as tables
from django.db.models import Q
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from .models import OutboundEmail
from .tables import ConfigurableTable


class OutboxFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    status = django_filters.ChoiceFilter(choices=OutboundEmail.Status.choices, empty_label=_("Any status"))

    class Meta:
        model = OutboundEmail
        fields = ["q", "status"]

    def search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(to_email__icontains=value) | Q(subject__icontains=value)) if value else queryset


class OutboxTable(ConfigurableTable):
    created_at = tables.DateTimeColumn(format="Y-m-d H:i", verbose_name=_("Created"), order_by=("created_at", "pk"))
    to = tables.Column(accessor="to_email", verbose_name=_("To"), order_by=("to_email", "pk"))
    subject = tables.LinkColumn("core:outbox_detail", args=[tables.A("pk")], order_by=("subject", "pk"), verbose_name=_("Subject"))
    purpose = tables.Column(order_by=("purpose", "pk"), verbose_name=_("Purpose"))
    status = tables.Column(order_by=("status", "pk"), verbose_name=_("Status"))
    attempts = tables.Column(attrs={"td": {"class": "num"}, "th": {"class": "num"}}, order_by=("attempts", "pk"), verbose_name=_("Attempts"))
    sent_at = tables.DateTimeColumn(format="Y-m-d H:i", verbose_name=_("Sent"), order_by=("sent_at", "pk"))

    default_columns = ("created_at", "to", "subject", "status", "sent_at")

    class Meta:
        empty_text = _("No emails match.")
        order_by = ("-created_at",)

    def render_to(self, record):
        return format_html("{} &lt;{}&gt;", record.to_name, record.to_email) if record.to_name else record.to_email

    def render_status(self, record):
        error = format_html('<br><small class="error">{}</small>', Truncator(record.last_error).chars(80)) if record.last_error else ""
        return format_html('<span class="badge badge-{}">{}</span>{}', record.status, record.get_status_display(), error)
