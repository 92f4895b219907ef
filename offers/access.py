"""Provider pages are for organizations with a provider profile (the vendor account).

Every provider view but the profile page itself (where the profile is made) is wrapped in
`provider_required`; tests/offers/test_provider_access.py walks every /provider/ route to keep
it that way.
"""

import functools

from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _, gettext_noop

from core.errors import NotAllowed
from tenancy.access import organization_required

from .models import ProviderProfile

NO_PROFILE = gettext_noop("Set up your provider profile first: provider pages are for organizations that offer incentives.")


def provider_required(view):
    """Signed in, in an organization, and that organization has a provider profile: without
    one, a page is sent to the profile form and a change is refused (403)."""

    @organization_required
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not ProviderProfile.objects.for_org(request.organization).exists():
            if request.method in ("GET", "HEAD"):
                messages.info(request, _(NO_PROFILE))
                return redirect("offers:profile")
            raise NotAllowed(_(NO_PROFILE), "provider_profile_required")
        return view(request, *args, **kwargs)

    wrapper.provider_required = True
    return wrapper
