"""The Recipients tab (and the same table on a budget's page): list, count, bulk actions,
row actions and CSV export. One view serves the page and its htmx fragment."""

import json
import re

from django.contrib import messages
from django.http import Http404, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers
from django_tables2.config import RequestConfig
from django.utils.translation import gettext as _

from core.csv import copy_csv_response
from core.models import OutboundEmail
from core.tables import configure_keyset_table
from jobs.kinds import KINDS
from jobs.models import BackgroundJob
from tenancy.access import get_for_org_or_404, organization_required, require_writer

from ..filters import RecipientFilterSet
from ..models import Incentive, email_failures_attach
from ..services import bulk
from ..tables import RecipientTable

RESULTS_TARGET = "results"


def _incentives(organization, budget=None):
    incentives = Incentive.objects.for_org(organization).select_related("participant", "study", "budget")
    return incentives.filter(budget=budget) if budget is not None else incentives


def _table(request, queryset, **kwargs) -> RecipientTable:
    """The person's table: their chosen columns; the row menu only for those who may act,
    on the rows of studies they manage."""
    # The tenant repeated on the participant (always the incentive's own) lets a sort by name
    # or email walk Participant's (organization, name|email) indexes, not sort every row.
    queryset = queryset.filter(participant__organization=request.organization)
    if not request.membership.can_write:
        table = RecipientTable(queryset, exclude=("actions",), **kwargs)
        table.can_write = False
        return table
    table = RecipientTable(queryset, **kwargs)
    table.managed_study_ids = bulk.managed_study_ids(organization=request.organization, actor=request.user)
    return table


def recipients_context(request, *, budget=None, export=False) -> dict:
    """The filtered, sorted, paginated table for this request; on a budget's page, that
    budget's incentives only (its budget filter is fixed). A page (by cursor, core/keyset.py)
    shows each row's failed email, looked up for its rows only; an export, which reads every
    row, leaves that look-up out."""
    data = request.GET.copy()
    if budget is not None:
        data["budget"] = str(budget.pk)
    filterset = RecipientFilterSet(
        data, queryset=_incentives(request.organization, budget), organization=request.organization, fixed_budget=budget
    )
    filters = QueryDict(mutable=True)
    for name in filterset.form.fields:
        if any(data.getlist(name)):
            filters.setlist(name, data.getlist(name))
    table = _table(request, filterset.qs)
    if export:
        RequestConfig(request, paginate=False).configure(table)  # its sort; every row
    else:
        configure_keyset_table(table, request)
        email_failures_attach([row.record for row in table.page.object_list], organization=request.organization)
    return {
        "filterset": filterset,
        "table": table,
        "export_headers": [header for header, _ in table.export_columns()],
        "export_filename": _default_filename(),
        "filter_query": filters.urlencode(),
        "fixed_budget": budget,
        "can_write": request.membership.can_write,
    }


def wants_results(request) -> bool:
    """Whether htmx asks for the results alone (the filters, sort or page changed)."""
    return bool(request.htmx) and request.htmx.target == RESULTS_TARGET


def render_results(request, context: dict):
    return render(request, "incentives/recipient_list.html#results", context)


@organization_required
@vary_on_headers("HX-Request", "HX-Target")
def recipient_list(request):
    export = request.GET.get("export") == "csv"
    context = recipients_context(request, export=export)
    if export:
        return _export(context["table"], request.user)
    if wants_results(request):
        return render_results(request, context)
    return render(request, "incentives/recipient_list.html", context)


@organization_required
@require_GET
def recipient_count(request):
    """How many incentives the filters match, and what resend and cancel would act on and
    return to which budget: asked for only by "select all matching" and the export pop-up."""
    filterset = RecipientFilterSet(request.GET, queryset=Incentive.objects.for_org(request.organization), organization=request.organization)
    count = filterset.qs.count() if filterset.is_valid() else None
    context = {"count": count}
    if count and request.membership.can_write and request.GET.get("for") != "export":
        try:
            preview = bulk.cancel_preview(organization=request.organization, queryset=filterset.qs, actor=request.user)
        except bulk.SelectionError:
            preview = None  # more than a bulk action takes: the action itself says so
        if preview is not None:
            context["returns"] = json.dumps([[str(budget), str(amount), n] for budget, amount, n in preview.returns])
            context["actionable"] = preview.count
    template = "export_count" if request.GET.get("for") == "export" else "matching_count"
    return render(request, f"incentives/recipient_list.html#{template}", context)


@organization_required
@require_GET
def recipient_detail(request, pk):
    """One incentive and every email of it (the claim email, each reminder: pending, sent or
    failed with the mail server's answer), for whoever sees the incentive: researchers and
    viewers too, while the organization-wide outbox stays for owners and admins."""
    incentive = get_for_org_or_404(_incentives(request.organization), request, pk=pk)
    emails = (
        OutboundEmail.objects.for_org(request.organization)
        .filter(reference=incentive.reference)
        .only("purpose", "subject", "to_email", "status", "attempts", "last_error", "created_at", "sent_at")
        .order_by("-pk")
    )
    return render(request, "incentives/recipient_detail.html", {"incentive": incentive, "emails": emails, "back": reverse("recipients:list")})


def _selection(request) -> bulk.Selection:
    """The selection a bulk form posts: ticked ids, or the filters minus the unticked ids."""
    try:
        ids = frozenset(int(pk) for pk in request.POST.getlist("selection"))
        excluded = frozenset(int(pk) for pk in request.POST.get("excluded", "").split(",") if pk.strip())
        budget_id = int(request.POST["scope_budget"]) if request.POST.get("scope_budget") else None
    except ValueError:
        raise bulk.SelectionError(_("The selection was not understood; nothing was changed.")) from None
    return bulk.Selection(
        ids=ids,
        all_matching=request.POST.get("all_matching") == "1",
        excluded=excluded,
        filters=QueryDict(request.POST.get("filters", "")),
        budget_id=budget_id,
    )


def _back(request) -> str:
    """Where the form came from (the table with its filters), if it is ours."""
    back = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return back
    return reverse("recipients:list")


def _report(request, result, *, action: str):
    if isinstance(result, BackgroundJob):
        return redirect("jobs:detail", pk=result.pk)
    level = messages.success if result.done and not result.failed else messages.warning
    level(request, result.describe(verb=KINDS[f"incentives_{action}"][1]))
    return redirect(_back(request))


@organization_required
@require_POST
def recipients_bulk(request, action):
    """Resend or cancel the selection. Cancel first shows what it will do and asks again."""
    require_writer(request)
    if action not in bulk.ACTIONS:
        raise Http404(_("No such action."))
    try:
        selection = _selection(request)
        if action == "cancel" and request.POST.get("confirmed") != "1":
            queryset = bulk.selection_queryset(organization=request.organization, selection=selection, whole_table_allowed=False)
            preview = bulk.cancel_preview(organization=request.organization, queryset=queryset, actor=request.user)
            return render(request, "incentives/bulk_cancel_confirm.html", {"preview": preview, "back": _back(request)})
        result = bulk.incentives_bulk_run(
            organization=request.organization, action=action, selection=selection, actor=request.user, return_url=_back(request)
        )
    except bulk.SelectionNotFound as error:
        raise Http404(error.message) from None
    except bulk.SelectionError as error:
        messages.error(request, error.message)
        return redirect(_back(request))
    return _report(request, result, action=action)


def _row_action(request, pk, action):
    require_writer(request)
    incentive = get_for_org_or_404(Incentive, request, pk=pk)
    result = bulk.ACTIONS[action](organization=request.organization, ids=[incentive.pk], actor=request.user)
    return _report(request, result, action=action)


@organization_required
@require_POST
def recipient_cancel(request, pk):
    return _row_action(request, pk, "cancel")


@organization_required
@require_POST
def recipient_resend(request, pk):
    return _row_action(request, pk, "resend")


def _default_filename() -> str:
    return f"recipients-{timezone.localdate():%Y-%m-%d}"


def _filename(requested: str) -> str:
    """The file name the person typed in the export pop-up, kept to letters, digits, dots,
    dashes and underscores (no path, no header tricks); the default when nothing is left."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", requested.strip()).strip(".-")
    name = re.sub(r"\.csv$", "", name, flags=re.IGNORECASE)[:100].strip(".-")
    return name or _default_filename()


def _export(table: RecipientTable, user, filename: str = ""):
    """The table's rows (its filter and sort) with the person's columns, streamed as CSV by
    PostgreSQL's COPY."""
    table.show_chosen(user)
    header, cells = table.export_query(table.data.data)
    return copy_csv_response(filename=_filename(filename), header=header, queryset=cells)


@organization_required
@require_POST
def recipients_export(request):
    """Export the ticked rows, or everything the filters match when none is ticked."""
    try:
        selection = _selection(request)
        if not selection.ids and not selection.all_matching:
            selection = bulk.Selection(all_matching=True, filters=selection.filters, budget_id=selection.budget_id)
        queryset = bulk.selection_queryset(organization=request.organization, selection=selection)
    except bulk.SelectionNotFound as error:
        raise Http404(error.message) from None
    except bulk.SelectionError as error:
        messages.error(request, error.message)
        return redirect(_back(request))
    table = _table(request, queryset, order_by=selection.filters.get("sort") or RecipientTable._meta.order_by)
    return _export(table, request.user, request.POST.get("filename", ""))
