"""The Audit page's filters: actor, object type, action, a date range, and one object's history."""

import datetime
import functools

import django_filters
from django import forms
from django.apps import apps
from django.core.validators import RegexValidator
from django.db.models import Q
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from .models import AuditEvent, type_label
from .tracked import TRACKED

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
OBJECT_KEY = RegexValidator(r"^[a-z_]+\.[a-z_]+:[0-9]{1,18}$", _("Name an object as type:id, e.g. studies.study:5."))


def object_type_choices() -> list[tuple[str, str]]:
    types = [t.model.lower() for t in TRACKED]
    return sorted(((t, type_label(t)) for t in types), key=lambda choice: choice[1])


@functools.cache
def action_choices() -> list[tuple[str, str]]:
    """created, updated, deleted and every status a tracked model has, in words."""
    actions = {"created": _("Created"), "updated": _("Updated"), "deleted": _("Deleted")}
    for tracked in TRACKED:
        status = next((f for f in apps.get_model(tracked.model)._meta.fields if f.name == "status"), None)
        for value, label in (status.choices or ()) if status else ():
            actions.setdefault(value, format_lazy(_("Status: {label}"), label=label))
    return sorted(actions.items(), key=lambda choice: (choice[0] not in ("created", "updated", "deleted"), choice[1]))


def _day_start(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=timezone.get_current_timezone())


class AuditFilterForm(forms.Form):
    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date is before the start date."))
        return data


class AuditFilterSet(django_filters.FilterSet):
    actor = django_filters.CharFilter(field_name="actor", lookup_expr="icontains", label=_("Actor"))
    object_type = django_filters.ChoiceFilter(choices=object_type_choices, empty_label=_("Any object"), label=_("Object type"))
    action = django_filters.ChoiceFilter(choices=action_choices, empty_label=_("Any action"), label=_("Action"))
    date_from = django_filters.DateFilter(method="from_day", label=_("From"), widget=DATE_INPUT)
    date_to = django_filters.DateFilter(method="to_day", label=_("To"), widget=DATE_INPUT)
    object = django_filters.CharFilter(method="of_object", label=_("Object"), validators=[OBJECT_KEY])

    class Meta:
        model = AuditEvent
        fields = ["actor", "object_type", "action"]
        form = AuditFilterForm

    def from_day(self, queryset, name, value):
        return queryset.filter(occurred_at__gte=_day_start(value))

    def to_day(self, queryset, name, value):
        return queryset.filter(occurred_at__lt=_day_start(value + datetime.timedelta(days=1)))

    def of_object(self, queryset, name, value):
        """The object's own changes and those of what belongs to it (a study's participants)."""
        object_type, object_id = value.split(":")
        return queryset.filter(
            Q(object_type=object_type, object_id=object_id) | Q(parent_type=object_type, parent_id=object_id)
        )
