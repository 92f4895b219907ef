"""The Webhooks pages of Settings: owners and admins only (a viewer or researcher gets a 403,
another organization's endpoint or delivery a 404)."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from core.errors import DomainError
from core.lists import list_page
from tenancy.access import get_for_org_or_404, manager_required

from . import services, signing
from .events import EVENT_TYPES
from .forms import EndpointForm, ReplaySinceForm
from .models import WebhookDelivery, WebhookEndpoint
from .tables import DeliveryFilterSet, DeliveryTable

# The endpoint whose secret the next visit of its secret page shows: once, right after registering.
SECRET_SESSION_KEY = "webhooks.show_secret_of"


def _list_page(request, form, status=200):
    endpoints = WebhookEndpoint.objects.for_org(request.organization).select_related("created_by")
    return render(
        request, "webhooks/endpoint_list.html",
        {"endpoints": endpoints, "form": form, "event_types": EVENT_TYPES}, status=status,
    )


@manager_required
def endpoint_list(request):
    if request.method != "POST":
        return _list_page(request, EndpointForm())
    form = EndpointForm(request.POST)
    if form.is_valid():
        try:
            endpoint, _secret = services.webhook_endpoint_create(
                organization=request.organization, actor=request.user, **form.cleaned_data
            )
        except DomainError as error:
            form.add_error("url" if error.code == "webhook_url_refused" else None, error.message)
        else:
            request.session[SECRET_SESSION_KEY] = endpoint.pk
            return redirect("webhooks:endpoint_secret", endpoint.pk)
    return _list_page(request, form, status=422)


@manager_required
@never_cache  # Cache-Control: no-store: the secret stays out of every cache
def endpoint_secret(request, pk):
    """The signing secret, shown the first time this page is opened after registering."""
    endpoint = get_for_org_or_404(WebhookEndpoint, request, pk=pk)
    shown = request.session.get(SECRET_SESSION_KEY) == endpoint.pk
    if shown:
        del request.session[SECRET_SESSION_KEY]
    secret = signing.endpoint_secret(endpoint.secret_nonce) if shown else ""
    return render(request, "webhooks/endpoint_secret.html", {"endpoint": endpoint, "secret": secret})


@manager_required
def endpoint_detail(request, pk):
    endpoint = get_for_org_or_404(WebhookEndpoint.objects.select_related("created_by"), request, pk=pk)
    deliveries = (
        WebhookDelivery.objects.for_org(request.organization).filter(endpoint=endpoint).select_related("event", "endpoint")
    )
    return list_page(
        request, "webhooks/endpoint_detail.html", DeliveryTable, DeliveryFilterSet, deliveries,
        context={"endpoint": endpoint, "replay_form": ReplaySinceForm()},
    )


def _act(request, pk, action, done: str):
    endpoint = get_for_org_or_404(WebhookEndpoint, request, pk=pk)
    try:
        action(endpoint=endpoint, actor=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, done.format(url=endpoint.url))
    return endpoint


@manager_required
@require_POST
def endpoint_disable(request, pk):
    endpoint = _act(request, pk, services.webhook_endpoint_disable, _("Nothing more is sent to {url}."))
    return redirect("webhooks:endpoint_detail", endpoint.pk)


@manager_required
@require_POST
def endpoint_enable(request, pk):
    endpoint = _act(request, pk, services.webhook_endpoint_enable, _("Events are sent to {url} again."))
    return redirect("webhooks:endpoint_detail", endpoint.pk)


@manager_required
@require_POST
def endpoint_delete(request, pk):
    _act(request, pk, services.webhook_endpoint_delete, _("The endpoint {url} and its delivery log are deleted."))
    return redirect("webhooks:endpoint_list")


@manager_required
@require_POST
def endpoint_replay_since(request, pk):
    endpoint = get_for_org_or_404(WebhookEndpoint, request, pk=pk)
    form = ReplaySinceForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the date and time to replay from."))
        return redirect("webhooks:endpoint_detail", endpoint.pk)
    try:
        count = services.webhook_endpoint_replay_since(endpoint=endpoint, since=form.cleaned_data["since"], actor=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, ngettext("%(count)s event will be sent again.", "%(count)s events will be sent again.", count) % {"count": count})
    return redirect("webhooks:endpoint_detail", endpoint.pk)


@manager_required
def delivery_detail(request, pk):
    delivery = get_for_org_or_404(WebhookDelivery.objects.select_related("endpoint", "event"), request, pk=pk)
    return render(request, "webhooks/delivery_detail.html", {"delivery": delivery, "endpoint": delivery.endpoint})


@manager_required
@require_POST
def delivery_replay(request, pk):
    delivery = get_for_org_or_404(WebhookDelivery.objects.select_related("endpoint", "event"), request, pk=pk)
    try:
        replay = services.webhook_delivery_replay(delivery=delivery, actor=request.user)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("webhooks:endpoint_detail", delivery.endpoint_id)
    messages.success(request, _("Event %(event)s will be sent again.") % {"event": delivery.event.event_id})
    return redirect("webhooks:delivery_detail", replay.pk)
