from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from . import services
from .access import manager_required
from .forms import OrganizationPolicyForm
from .middleware import SESSION_KEY
from .models import ApiKey, Membership


@login_required
@require_POST
def organization_switch(request):
    membership = get_object_or_404(
        request.user.memberships.select_related("organization"),
        organization_id=int(chosen) if (chosen := request.POST.get("organization", "")).isascii() and chosen.isdigit() else None,
    )
    request.session[SESSION_KEY] = membership.organization_id
    messages.info(request, f"You are now working in {membership.organization}.")
    return redirect("home")


@manager_required
def organization_settings(request):
    form = OrganizationPolicyForm(
        request.POST or None, instance=request.organization, can_switch_modules=request.membership.role == Membership.Role.OWNER
    )
    if request.method == "POST" and form.is_valid():
        done = services.organization_settings_update(
            organization=request.organization, actor=request.user, **{name: form.cleaned_data[name] for name in form.Meta.fields}
        )
        messages.success(request, " ".join(["Settings saved.", *done]))
        return redirect("tenancy:settings")
    return render(
        request,
        "tenancy/settings.html",
        {"form": form, "api_keys": ApiKey.objects.for_org(request.organization).active().count()},
    )
