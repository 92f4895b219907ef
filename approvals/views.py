from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.forms import posted_text
from core.lists import list_page
from core.once import act_once
from tenancy.access import get_for_org_or_404, organization_required

from . import selectors, services
from .filters import ApprovalFilterSet
from .models import Approval
from .tables import ApprovalTable


@organization_required
def approval_list(request):
    """Every request of the organization, the waiting ones first shown (`?status=pending` unless
    the person chose another filter); owners and admins approve or reject here."""
    if "status" not in request.GET:
        query = request.GET.copy()
        query["status"] = Approval.Status.PENDING
        request.GET = query
    return list_page(
        request, "approvals/approval_list.html", ApprovalTable, ApprovalFilterSet,
        selectors.approval_list(organization=request.organization),
    )


def _decide(request, pk, decide, done: str):
    approval = get_for_org_or_404(Approval, request, pk=pk)
    act_once(request, lambda: decide(approval), done=done.format(approval=approval))
    return redirect("approvals:list")


@organization_required
@require_POST
def approval_approve(request, pk):
    return _decide(
        request, pk, lambda approval: services.approval_approve(approval=approval, actor=request.user),
        _("Approved: {approval.summary}. It has run now."),
    )


@organization_required
@require_POST
def approval_reject(request, pk):
    return _decide(
        request, pk,
        lambda approval: services.approval_reject(approval=approval, actor=request.user, reason=posted_text(request, "reason", label=_("Reason"))),
        _("Rejected: {approval.summary}. Its money is released and the requester is told why."),
    )
