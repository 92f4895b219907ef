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


# The badge shows up to this many, then "99+": a bounded read on every page, never a COUNT.
BADGE_MAX = 99


def approvals_waiting_count(*, membership: Membership | None) -> str:
    """What the navigation's badge says: how many requests this owner or admin may decide (not
    their own), "" for none."""
    if membership is None or not membership.is_manager:
        return ""
    waiting = Approval.objects.for_org(membership.organization_id).pending().exclude(requested_by_id=membership.user_id)
    found = len(waiting.values_list("pk", flat=True)[: BADGE_MAX + 1])
    return f"{BADGE_MAX}+" if found > BADGE_MAX else str(found or "")
