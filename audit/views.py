from django.db.models import F
from django.db.models.functions import Cast
from django.db.models import TextField
from django.utils import timezone

from core.csv import copy_csv_response, safe_text
from core.lists import list_page
from tenancy.access import manager_required

from . import selectors
from .filters import AuditFilterSet
from .models import type_label
from .tables import AuditTable

CSV_COLUMNS = [
    ("When (UTC)", "occurred_at"), ("Actor kind", "actor_kind"), ("Actor", "actor"), ("IP address", "ip_address"),
    ("Action", "action"), ("Object type", "object_type"), ("Object id", "object_id"), ("Object", "object_repr"),
    ("Belongs to", "parent_type"), ("Belongs to id", "parent_id"), ("Before", "before"), ("After", "after"),
    ("Transaction", "transaction_id"),
]


def _export(filterset):
    """Every event the filters match, newest first, written by PostgreSQL (COPY), each text
    cell through the CSV escaper."""
    cells = filterset.qs.order_by("-id").values_list(
        *(safe_text(Cast(F(name), TextField())) for _, name in CSV_COLUMNS)
    )
    return copy_csv_response(
        filename=f"audit-{timezone.localdate():%Y-%m-%d}", header=[label for label, _ in CSV_COLUMNS], queryset=cells
    )


@manager_required
def audit_list(request):
    """Who changed what, for the organization's owners and admins; ?object=type:id is one
    object's history."""
    events = selectors.audit_event_list(organization=request.organization)
    if request.GET.get("export") == "csv":
        filterset = AuditFilterSet(request.GET, queryset=events, request=request)
        if filterset.is_valid():
            return _export(filterset)
    subject = request.GET.get("object", "")
    subject_label = ""
    if ":" in subject:
        object_type, object_id = subject.split(":", 1)
        subject_label = f"{type_label(object_type)} #{object_id}"
    return list_page(
        request, "audit/audit_list.html", AuditTable, AuditFilterSet, events,
        context={"subject_label": subject_label},
    )
