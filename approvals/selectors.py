"""Reads of approvals: the Approvals page, what waits on a budget or an offer, the badge."""

from tenancy.models import Membership

from .models import Approval


def approval_list(*, organization):
    return Approval.objects.for_org(organization).select_related("requested_by", "budget")


def approval_list_for(*, organization, budget=None, reference: str = "", kind: str = "") -> list[Approval]:
    """The requests still waiting on a budget (its withdrawals and sends), a reference or of a kind."""
    waiting = Approval.objects.for_org(organization).pending().select_related("requested_by")
    if kind:
        waiting = waiting.filter(kind=kind)
    if budget is not None:
        waiting = waiting.filter(budget=budget)
    if reference:
        waiting = waiting.filter(reference=reference)
    return list(waiting.order_by("pk"))


def approvals_waiting_count(*, membership: Membership | None) -> int:
    """What the navigation's badge counts: requests this owner or admin may decide (not their own)."""
    if membership is None or not membership.is_manager:
        return 0
    return (
        Approval.objects.for_org(membership.organization_id).pending().exclude(requested_by_id=membership.user_id).count()
    )
