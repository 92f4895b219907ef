"""Public pages, reached only through an unguessable token: the recipient's offer page, the
shareable link, and the acknowledgement widget embedded on other sites."""

import functools

from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.cache import patch_cache_control
from django.utils.csp import CSP
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csp import csp_override
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from core.errors import DomainError
from core.ratelimit import client_ip, rate_limited
from tenancy.middleware import browser_language

from . import notifications, selectors, services
from .forms import JoinForm, MessageForm, TransitionForm
from .models import Offer, OfferMember
from .transitions import EXPIRABLE, Party, Status

WINDOW_SECONDS = 60


def over_limit(request, scope: str, per_minute: int) -> bool:
    """One more request of this client (IP) in `scope`; True once over the per-minute limit."""
    return rate_limited(scope=scope, key=client_ip(request), limit=per_minute, window_seconds=WINDOW_SECONDS)


def public(scope: str, *, per_minute: int = 60, cacheable: bool = False):
    """Rate-limited per client IP, never sends a Referer onwards, and (unless the response is
    meant for public caches) is kept out of caches since the URL holds a token.

    Exempt from CSRF: these pages act on the unguessable token in their URL, never on the
    session cookie, so a forged cross-site request can do nothing without the token; and
    `no-referrer` makes browsers send `Origin: null` with their own forms, which Django's
    origin check would refuse.
    """

    def decorate(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            if over_limit(request, scope, per_minute):
                response = render(request, "429.html", status=429)
                response["Retry-After"] = str(WINDOW_SECONDS)
            else:
                try:
                    response = view(request, *args, **kwargs)
                except Http404:  # rendered here, so an unknown token's page has these headers too
                    response = render(request, "404.html", status=404)
                except LinkReplaced:
                    response = render(request, "offers/public_replaced.html", status=410)
            response["Referrer-Policy"] = "no-referrer"
            if not cacheable or response.status_code != 200:
                patch_cache_control(response, no_store=True, private=True)
            return response

        return csrf_exempt(wrapper)

    return decorate


class LinkReplaced(Exception):
    """A personal link that "Offer again" replaced with a new one."""


def _member(token: str) -> OfferMember:
    member = services.offer_member_by_token(token)
    if member is None:
        if services.offer_member_by_replaced_token(token) is not None:
            raise LinkReplaced
        raise Http404(_("No such offer."))
    return member


def _closed(request, offer: Offer):
    """A 410 page when the offer is over for recipients (expired, cancelled), else None."""
    expired = offer.status == Status.EXPIRED or (offer.status in EXPIRABLE and offer.expires_on < timezone.localdate())
    if expired or offer.status == Status.CANCELLED:
        last = offer.events.filter(to_status=offer.status).order_by("-created_at", "-pk").first()
        context = {"offer": offer, "expired": expired, "note": last.note if last and not expired else "",
                   "provider_name": notifications.provider_name(offer.organization)}
        return render(request, "offers/public_closed.html", context, status=410)
    return None


def _recipient_page(request, member: OfferMember, token: str, *, error: str = "", status: int = 200):
    offer = member.offer
    context = {
        "offer": offer,
        "member": member,
        "token": token,
        "error": error,
        "actions": [] if member.status == OfferMember.Status.DECLINED else selectors.recipient_actions(offer),
        "progress": selectors.group_progress(offer=offer) if offer.is_group else None,
        "thread": selectors.thread(offer, member=member),
        "standing": selectors.recipient_standing(offer, member),
        "no_response_on": services.no_response_on(offer),
        "provider_name": notifications.provider_name(offer.organization),
        "message_form": MessageForm(),
        "post_url": reverse("offers:recipient_messages", args=[token]),
        "can_group_claim": (
            offer.is_group and offer.status in services.GROUP_CLAIMABLE and member.status == OfferMember.Status.JOINED
        ),
    }
    return render(request, "offers/recipient_offer.html", context, status=status)


@public("offer")
def recipient_offer(request, token):
    member = _member(token)
    services.offer_member_language_record(member=member, language=browser_language(request))
    return _closed(request, member.offer) or _recipient_page(request, member, token)


@public("offer-act", per_minute=20)
@require_POST
def recipient_act(request, token):
    """Accept, reject, counter, provide info, claim, acknowledge: whatever the table allows."""
    member = _member(token)
    offer = member.offer
    if (closed := _closed(request, offer)) is not None:
        return closed
    form = TransitionForm(request.POST, offer=offer)
    if not form.is_valid():
        error = " ".join(" ".join(errors) for errors in form.errors.values())
        return _recipient_page(request, member, token, error=error, status=400)
    data = form.cleaned_data
    try:
        if data["to_status"] == Status.PRE_CLAIMED and offer.status != Status.REQUIRES_REVISION:
            services.offer_member_claim(member=member)
        else:
            services.offer_transition(
                offer=offer, to_status=data["to_status"], actor_kind=Party.RECIPIENT, member=member,
                note=data["note"], terms=data["terms"], acknowledgement_name=data["acknowledgement_name"],
            )
    except DomainError as refusal:
        return _recipient_page(request, member, token, error=refusal.message, status=409)
    return redirect("offers:recipient", token=token)


@public("offer-act", per_minute=20)
@require_POST
def recipient_leave(request, token):
    member = _member(token)
    try:
        services.offer_member_leave(member=member)
    except DomainError as refusal:
        return _recipient_page(request, member, token, error=refusal.message, status=409)
    return redirect("offers:recipient", token=token)


@public("offer-messages")
def recipient_messages(request, token):
    """The thread as an htmx fragment; a POST adds the recipient's message."""
    member = _member(token)
    offer = member.offer
    if (closed := _closed(request, offer)) is not None:
        return closed
    form = MessageForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.message_post(offer=offer, body=form.cleaned_data["body"], member=member)
        except DomainError as refusal:
            form.add_error(None, refusal.message)
        else:
            form = MessageForm()
    context = {"offer": offer, "thread": selectors.thread(offer, member=member), "form": form, "post_url": request.path}
    return render(request, "offers/_thread.html", context)


@public("offer")
def recipient_updates(request, token):
    """Linked from every update email: stop (or restart) non-essential updates of this offer.
    A GET only asks (mail scanners follow links); the button posts."""
    member = _member(token)
    if request.method == "POST":
        services.offer_member_updates(member=member, wanted=request.POST.get("updates") == "on")
        member.refresh_from_db()
    context = {"member": member, "offer": member.offer, "provider_name": notifications.provider_name(member.organization),
               "done": request.method == "POST", "token": token}
    return render(request, "offers/unsubscribe.html", context)


# Who took a single shareable link is recognised by a signed cookie, so reopening the link
# takes them back to their offer instead of saying someone else took it.
TAKER_COOKIE = "offer_link_{pk}"
TAKER_SALT = "offers.link-taker"
TAKER_MAX_AGE = 180 * 24 * 3600


def _taker(request, offer: Offer) -> OfferMember | None:
    pk = request.get_signed_cookie(TAKER_COOKIE.format(pk=offer.pk), default=None, salt=TAKER_SALT, max_age=TAKER_MAX_AGE)
    return offer.members.filter(pk=pk).first() if pk and pk.isdigit() else None


def link_state(offer: Offer, progress: dict | None) -> str:
    """One sentence for a link that takes nobody now, consistent with the progress shown."""
    if offer.is_group:
        if offer.status not in offer.join_statuses:
            return _("This group offer is %(status)s: it takes no new members.") % {"status": offer.get_status_display()}
        return _("This group is full. All %(max)s places are taken.") % {"max": progress["max"]}
    return _("This offer has been taken by someone else already.")


@public("offer-link")
def shared_link(request, token):
    """A shareable link: anyone may read the offer and join it as its recipient (or a member)."""
    offer = services.offer_by_link_token(token)
    if offer is None or offer.status == Status.DRAFT:
        raise Http404(_("No such offer."))
    if (closed := _closed(request, offer)) is not None:
        return closed
    if (taker := _taker(request, offer)) is not None:
        return redirect("offers:recipient", token=taker.token)
    form = JoinForm(request.POST or None)
    error, status = "", 200
    if request.method == "POST":
        if over_limit(request, "offer-join", 10):
            return render(request, "429.html", status=429)
        if form.is_valid():
            try:
                member, raw = services.offer_join(offer=offer, language=browser_language(request), **form.cleaned_data)
            except DomainError as refusal:
                error, status = refusal.message, 409
            else:
                response = redirect("offers:recipient", token=raw)
                response.set_signed_cookie(
                    TAKER_COOKIE.format(pk=offer.pk), str(member.pk), salt=TAKER_SALT, max_age=TAKER_MAX_AGE,
                    path=request.path, httponly=True, samesite="Lax", secure=request.is_secure(),
                )
                return response
        else:
            status = 400
    progress = selectors.group_progress(offer=offer) if offer.is_group else None
    context = {"offer": offer, "form": form, "error": error, "open": offer.open_to_join(),
               "provider_name": notifications.provider_name(offer.organization),
               "progress": progress, "state": link_state(offer, progress)}
    return render(request, "offers/shared_link.html", context, status=status)


# The widget lives inside other sites' pages: it may be framed anywhere, needs no script
# of ours inside the frame, and is the same for everyone, so caches may keep it a while.
WIDGET_CSP = {
    "default-src": [CSP.NONE],
    "style-src": [CSP.SELF],
    "script-src": [CSP.SELF],  # only static/js/widget-frame.js, which reports the card's height
    "img-src": [CSP.SELF],
    "frame-ancestors": ["*"],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.NONE],
}
WIDGET_MAX_AGE = 300


def _acknowledged(token) -> Offer:
    offer = services.offer_by_widget_token(token)
    if offer is None:
        raise Http404(_("No such widget."))
    return offer


def _cacheable(response):
    patch_cache_control(response, public=True, max_age=WIDGET_MAX_AGE)
    return response


@public("widget", per_minute=600, cacheable=True)
@xframe_options_exempt
@csp_override(WIDGET_CSP)
def widget_frame(request, token):
    """The acknowledgement card: provider, program, the recipient's chosen name and words."""
    offer = _acknowledged(token)
    provider = notifications.provider_name(offer.organization)
    return _cacheable(render(request, "offers/widget.html", {"offer": offer, "provider": provider}))


@public("widget", per_minute=600, cacheable=True)
@csp_override(WIDGET_CSP)
def widget_script(request, token):
    """A script for `<script src=... async>` that puts the card's iframe where it stands."""
    offer = _acknowledged(token)
    frame_url = request.build_absolute_uri(reverse("offers:widget_frame", args=[offer.widget_token]))
    response = render(request, "offers/widget.js", {"frame_url": frame_url}, content_type="text/javascript; charset=utf-8")
    response["Access-Control-Allow-Origin"] = "*"
    return _cacheable(response)
