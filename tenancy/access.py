"""How views reach tenant data: another organization's object is a 404, a missing right a 403."""

import functools

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _


def organization_required(view):
    """Signed in and a member of some organization; the view can rely on request.organization."""

    @login_required
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.organization is None:
            return render(request, "tenancy/no_organization.html", status=403)
        return view(request, *args, **kwargs)

    return wrapper


def manager_required(view):
    """Owners and admins of the current organization only."""

    @organization_required
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        require_manager(request)
        return view(request, *args, **kwargs)

    return wrapper


def payer_required(view):
    """Owners, admins and finance of the current organization: who pays what is owed."""

    @organization_required
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.membership.can_pay:
            raise PermissionDenied(_("Only owners, admins and finance of this organization can work with payouts."))
        return view(request, *args, **kwargs)

    return wrapper


def require_manager(request) -> None:
    if not request.membership.is_manager:
        raise PermissionDenied(_("Only owners and admins of this organization can do that."))


def require_writer(request) -> None:
    if not request.membership.can_write:
        raise PermissionDenied(_("Viewers can read but not change anything."))


def get_for_org_or_404(queryset, request, **lookup):
    """Fetch one object of the current organization; anyone else's is a 404."""
    if hasattr(queryset, "objects"):
        queryset = queryset.objects.all()
    return get_object_or_404(queryset.for_org(request.organization), **lookup)
