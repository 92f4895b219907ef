import json

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _, ngettext

from core.tables import ConfigurableTable

from .filters import action_choices
from .models import AuditEvent

SHOWN_CHARS = 80


def _shown(value) -> str:
    text = value if isinstance(value, str) else json.dumps(value)
    return text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 1] + "…"


def history_url(object_key: str) -> str:
    return f"{reverse('audit:list')}?{urlencode({'object': object_key})}"


class AuditTable(ConfigurableTable):
    occurred_at = tables.DateTimeColumn(format="Y-m-d H:i:s", verbose_name=_("When"), order_by=("id",))
    actor = tables.Column(verbose_name=_("Who"), orderable=False)
    ip_address = tables.Column(verbose_name=_("Address"), orderable=False)
    action = tables.Column(verbose_name=_("What"), orderable=False)
    object = tables.Column(accessor="object_id", verbose_name=_("Object"), orderable=False)
    changes = tables.Column(accessor="pk", verbose_name=_("Before → after"), orderable=False)

    default_columns = ("occurred_at", "actor", "ip_address", "action", "object", "changes")

    class Meta:
        model = AuditEvent
        fields = ()
        empty_text = _("No changes match.")
        order_by = ("-occurred_at",)
        attrs = {"class": "audit-table"}

    def render_actor(self, value, record):
        return format_html('{}<br><small class="muted">{}</small>', value or "—", record.get_actor_kind_display())

    def render_action(self, value):
        return dict(action_choices()).get(value, value)

    def render_ip_address(self, value):
        return value or "—"

    def render_object(self, record):
        return format_html(
            '<a href="{}">{} #{}</a>{}', history_url(record.object_key), record.object_label, record.object_id,
            format_html("<br><small>{}</small>", record.object_repr) if record.object_repr else "",
        )

    def render_changes(self, record):
        changes = record.changes()
        lines = format_html_join(
            "", "<li><code>{}</code>: {}</li>",
            (
                (field, f"{_shown(before)} → {_shown(after)}" if record.action not in ("created", "deleted")
                 else _shown(after if record.action == "created" else before))
                for field, before, after in changes
            ),
        )
        if record.action in ("created", "deleted"):
            count = ngettext("%(n)s field", "%(n)s fields", len(changes)) % {"n": len(changes)}
            return format_html("<details><summary>{}</summary><ul>{}</ul></details>", count, lines)
        return format_html('<ul class="changes">{}</ul>', lines)
