"""Yearly tax totals per participant (owners and admins): the 1099 worksheet as a page and a CSV."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _, ngettext
from django.views.decorators.http import require_POST

from django.urls import reverse

from core import tax as core_tax
from core.csv import csv_response
from core.errors import DomainError
from core.money import Money, MoneyError
from core.tax import tax_threshold
from studies.models import Participant
from tenancy.access import get_for_org_or_404, manager_required

from .. import services, tax
from ..models import W9Submission
from ..services import w9

PER_PAGE = 100


def _year(request) -> int:
    text = request.GET.get("year", "")
    text = text or request.POST.get("year", "")
    return int(text) if text.isdigit() and 2000 <= int(text) <= 2100 else tax.current_year(request.organization)


@manager_required
def tax_year(request):
    organization, year = request.organization, _year(request)
    if request.GET.get("export") == "csv":
        return csv_response(
            filename=f"tax-totals-{year}", header=tax.REPORT_HEADER, rows=tax.year_report_csv_rows(organization=organization, year=year)
        )
    page = Paginator(tax.participant_year_totals(organization=organization, year=year), PER_PAGE).get_page(request.GET.get("page"))
    this_year = tax.current_year(organization)
    waiting = W9Submission.objects.for_org(organization).filter(status=W9Submission.Status.SUBMITTED).select_related("participant", "incentive")
    return render(request, "incentives/tax_year.html", {
        "w9_waiting": waiting.order_by("submitted_at", "pk")[:PER_PAGE],
        "year": year, "years": range(this_year, this_year - 5, -1), "page": page,
        "threshold": tax_threshold(organization=organization, year=year), "active_tab": "tax",
        "default_threshold": Money(core_tax.default_threshold_minor(year), organization.tax_currency),
    })


@manager_required
@require_POST
def threshold_set(request):
    """Set the year's threshold (e.g. the IRS's inflation-indexed figure), or clear it back to the default."""
    organization, year = request.organization, _year(request)
    text = request.POST.get("amount", "").strip()
    try:
        amount = Money.parse(text, organization.tax_currency) if text else None
        core_tax.tax_threshold_set(organization=organization, year=year, amount=amount)
    except (MoneyError, DomainError) as error:
        messages.error(request, str(getattr(error, "message", error)))
    else:
        threshold = tax_threshold(organization=organization, year=year)
        messages.success(request, _("The %(year)s threshold is %(amount)s.") % {"year": year, "amount": threshold})
    return redirect(f"{reverse('budgets:tax')}?year={year}")


@manager_required
@require_POST
def participant_w9(request, pk):
    participant = get_for_org_or_404(Participant, request, pk=pk)
    released = services.participant_mark_w9(participant=participant, actor=request.user)
    messages.success(request, ngettext(
        "W-9 of %(name)s marked received; %(n)s held incentive may be paid out.",
        "W-9 of %(name)s marked received; %(n)s held incentives may be paid out.", released,
    ) % {"name": participant.name, "n": released})
    return redirect(request.POST.get("next") if (request.POST.get("next") or "").startswith("/incentives/tax/") else "budgets:tax")


@manager_required
@require_POST
def w9_accept(request, pk):
    """An owner or admin has reviewed a W-9 given on a claim page: the participant's held incentives are released."""
    submission = get_for_org_or_404(W9Submission.objects.select_related("participant"), request, pk=pk)
    try:
        released = w9.w9_accept(submission=submission, actor=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, ngettext(
            "W-9 of %(name)s accepted; %(n)s held incentive may be paid out.",
            "W-9 of %(name)s accepted; %(n)s held incentives may be paid out.", released,
        ) % {"name": submission.participant.name, "n": released})
    return redirect("budgets:tax")
