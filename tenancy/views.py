from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import services
from .access import manager_required
from .forms import OrganizationPolicyForm, UserSettingsForm
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
    messages.info(request, _("You are now working in %(organization)s.") % {"organization": membership.organization})
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
        messages.success(request, " ".join([_("Settings saved."), *done]))
        return redirect("tenancy:settings")
    return render(
        request,
        "tenancy/settings.html",
        {"form": form, "api_keys": ApiKey.objects.for_org(request.organization).active().count()},
    )


def _remember_language(response, language: str):
    """The cookie LocaleMiddleware reads: anonymous pages (login, claim) keep the choice too."""
    if language:
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, max_age=settings.LANGUAGE_COOKIE_AGE, samesite="Lax")
    else:
        response.delete_cookie(settings.LANGUAGE_COOKIE_NAME)
    return response


@require_POST
def language_set(request):
    """The switcher in the user menu (and on public pages): back to the same page in the chosen
    language; a signed-in user's choice is saved as their setting."""
    language = request.POST.get("language", "")
    back = request.POST.get("next") or request.headers.get("referer") or "/"
    # Only a path or URL of this site, with nothing a header can't carry (a NUL, a line break).
    safe = url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure())
    if not safe or not back.startswith(("/", "http")) or any(ord(character) < 32 for character in back):
        back = "/"
    if language not in dict(settings.LANGUAGES):
        return HttpResponseRedirect(back)
    if request.user.is_authenticated:
        request.user.language = language
        request.user.save(update_fields=["language"])
    return _remember_language(HttpResponseRedirect(back), language)


@login_required
def account_settings(request):
    """The signed-in person's own settings (any role): their name and language."""
    form = UserSettingsForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        translation.activate(user.language or translation.get_language_from_request(request))
        messages.success(request, _("Your settings are saved."))
        return _remember_language(redirect("account_settings"), user.language)
    return render(request, "tenancy/account_settings.html", {"form": form})
