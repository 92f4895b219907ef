from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseRedirect, JsonResponse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django.shortcuts import redirect, render
from django.utils.csp import CSP
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.cache import never_cache
from django.views.decorators.csp import csp_override
from django.utils.translation import gettext as _

from tenancy.access import get_for_org_or_404, manager_required

from . import services, system
from .lists import list_page
from .outbox_tables import OutboxFilterSet, OutboxTable
from .models import OutboundEmail
from .tables import CONFIGURABLE_TABLES


@login_required
@require_POST
def table_columns(request, table_name):
    """Save the column chooser's choice, then show the table again."""
    if table_name not in CONFIGURABLE_TABLES:
        raise Http404(_("No such table."))
    services.table_columns_save(user=request.user, table_name=table_name, columns=request.POST.getlist("columns"))
    back = request.POST.get("next", "")
    # A path of this site only (redirect() would read anything else as the name of a view).
    if not back.startswith("/") or "\x00" in back or not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = "/"
    if request.htmx:
        return HttpResponse(headers={"HX-Location": back})
    return HttpResponseRedirect(back)


def home(request):
    if not request.user.is_authenticated:
        return redirect("login")
    return redirect("budgets:list")


@manager_required
def outbox_list(request):
    emails = OutboundEmail.objects.for_org(request.organization).only(
        "to_email", "to_name", "subject", "purpose", "status", "attempts", "created_at", "sent_at", "last_error"
    )
    return list_page(request, "core/outbox_list.html", OutboxTable, OutboxFilterSet, emails)


@never_cache  # with DEBUG on it shows the email as sent, personal link included
@manager_required
def outbox_detail(request, pk):
    email = get_for_org_or_404(OutboundEmail, request, pk=pk)
    # In development the text is shown as sent, personal link and all, so the demo's links
    # can be tried; with DEBUG off (production) the link is never shown.
    text = services.outbound_email_bodies(email)[0] if settings.DEBUG else email.text_body
    return render(request, "core/outbox_detail.html", {"email": email, "text": text})


@never_cache
@manager_required
@xframe_options_sameorigin
@csp_override({"default-src": [CSP.NONE], "style-src": [CSP.UNSAFE_INLINE], "img-src": ["data:"], "frame-ancestors": [CSP.SELF], "sandbox": True})
def outbox_html(request, pk):
    """The email's HTML exactly as sent, framed by the detail page, in a sandbox without scripts."""
    email = get_for_org_or_404(OutboundEmail, request, pk=pk)
    return HttpResponse(email.html_body or "<p>(no HTML part)</p>")


@never_cache
def healthz(request):
    """The process is alive and answers (a liveness probe): nothing else is asked."""
    return JsonResponse({"status": "ok"})


@never_cache
def readyz(request):
    """The database and the broker answer (a readiness probe); 503 when either does not."""
    checks = {"database": system.database_answers(), "broker": system.broker_reachable()}
    ready = all(checks.values())
    return JsonResponse({"status": "ok" if ready else "unavailable", **checks}, status=200 if ready else 503)
