from .selectors import approvals_waiting_count


def approvals_waiting(request):
    """`approvals_waiting` for the navigation's badge: a callable, so only pages that show the
    navigation (full pages, not htmx fragments) make the query, and only for owners and admins."""
    membership = getattr(request, "membership", None)
    if membership is None or not membership.is_manager:
        return {}
    return {"approvals_waiting": lambda: approvals_waiting_count(membership=membership)}
