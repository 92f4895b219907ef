"""An endpoint's delivery log: its filters and its table (core.lists.list_page)."""

import django_filters
from django import forms
import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from core.tables import ConfigurableTable

from .events import EVENT_TYPES
from .models import WebhookDelivery


class DeliveryFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=WebhookDelivery.Status.choices, empty_label=_("Any status"))
    event = django_filters.ChoiceFilter(
        field_name="event__type", choices=[(name, name) for name in EVENT_TYPES], empty_label=_("Any event"), label=_("Event")
    )
    since = django_filters.DateFilter(
        field_name="created_at", lookup_expr="date__gte", label=_("Since"), widget=forms.DateInput(attrs={"type": "date"})
    )

    class Meta:
        model = WebhookDelivery
        fields = ["status", "event", "since"]


class DeliveryTable(ConfigurableTable):
    created_at = tables.TemplateColumn(
        '{{ record.last_attempt_at|default:record.created_at|date:"Y-m-d H:i:s" }}', verbose_name=_("Time"),
        order_by=("created_at", "pk"),
    )
    event = tables.TemplateColumn(template_name="webhooks/_delivery_event.html", orderable=False, verbose_name=_("Event"))
    status = tables.TemplateColumn(template_name="webhooks/_delivery_status.html", order_by=("status", "pk"), verbose_name=_("Status"))
    attempts = tables.Column(attrs={"td": {"class": "num"}, "th": {"class": "num"}}, orderable=False, verbose_name=_("Attempts"))
    response = tables.TemplateColumn(template_name="webhooks/_delivery_response.html", orderable=False, verbose_name=_("Response"))
    actions = tables.TemplateColumn(template_name="webhooks/_delivery_replay.html", orderable=False, verbose_name="")

    class Meta:
        attrs = {"id": "delivery-log", "class": "striped"}
        empty_text = _("Nothing sent yet.")
        order_by = ("-created_at",)
