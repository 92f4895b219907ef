"""The Bulk jobs list: its filters and its table (core.lists.list_page)."""

import django_filters
import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from core.tables import ConfigurableTable

from .kinds import KINDS
from .models import BackgroundJob


class JobFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=BackgroundJob.Status.choices, empty_label=_("Any status"))
    kind = django_filters.ChoiceFilter(
        choices=[(kind, title) for kind, (title, _verb, _handler) in KINDS.items()], empty_label=_("Any job"), label=_("Job")
    )
    started_by = django_filters.ChoiceFilter(
        choices=[("me", _("Me"))], method="started_by_me", empty_label=_("Anyone"), label=_("Started by")
    )

    class Meta:
        model = BackgroundJob
        fields = ["status", "kind"]

    def started_by_me(self, queryset, name, value):
        return queryset.filter(created_by=self.request.user) if value == "me" else queryset


class JobTable(ConfigurableTable):
    id = tables.Column(linkify=("jobs:detail", [tables.A("pk")]), verbose_name=_("Job"), order_by=("pk",))
    kind = tables.Column(verbose_name=_("What"), order_by=("kind", "pk"))
    status = tables.TemplateColumn(
        '<span class="badge badge-{{ record.status }}">{{ record.get_status_display }}</span>', order_by=("status", "pk"), verbose_name=_("Status")
    )
    progress = tables.TemplateColumn(
        '<progress value="{{ record.processed }}" max="{{ record.total|default:1 }}" aria-label="{{ record.percent }}%"></progress>'
        ' <small>{% load i18n %}{% blocktranslate with processed=record.processed total=record.total done=record.done_count skipped=record.skipped_count failed=record.failed_count %}'
        '{{ processed }} of {{ total }}: {{ done }} done, {{ skipped }} skipped, {{ failed }} failed{% endblocktranslate %}</small>',
        orderable=False, verbose_name=_("Progress"),
    )
    created_by = tables.Column(verbose_name=_("Started by"), default=_("system"), order_by=("created_by__email", "pk"))
    created_at = tables.DateTimeColumn(format="Y-m-d H:i", verbose_name=_("Started"), order_by=("created_at", "pk"))
    finished_at = tables.DateTimeColumn(format="Y-m-d H:i", verbose_name=_("Finished"), default="—", order_by=("finished_at", "pk"))

    default_columns = ("id", "kind", "status", "progress", "created_by", "created_at", "finished_at")

    class Meta:
        empty_text = _("No bulk jobs yet: large sends, and bulk cancels and resends of many incentives, run here.")
        order_by = ("-created_at",)

    def render_id(self, value):
        return f"#{value}"

    def render_kind(self, value):
        return KINDS[value][0] if value in KINDS else value
