"""The public claim page: a participant opens the link from their email and takes the incentive."""

import functools

from django.conf import settings
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from core.errors import DomainError
from core.ratelimit import client_ip, rate_limited
from studies.services import participant_language_record
from tenancy.middleware import browser_language

from .. import services
from ..forms import ClaimForm, W9Form
from ..services import w9
from ..models import Incentive

# Claim-link look-ups per client address: enough for a person, far too few to guess tokens.
# The setting CLAIM_LOOKUPS_PER_WINDOW raises it (for a load test, bench/claim.py), never off.
CLAIM_LOOKUPS_PER_WINDOW = 30
CLAIM_WINDOW_SECONDS = 600


def public_token_page(view):
    """For pages reached by a secret token: rate-limited per client address, never cached,
    and no Referer header carries the token to other sites."""

    # No CSRF check: the secret token in the URL is the authority, and a page served with
    # no-referrer makes browsers post with "Origin: null", which the check refuses.
    @functools.wraps(view)
    @csrf_exempt
    @never_cache
    def wrapper(request, token, *args, **kwargs):
        if rate_limited(
            scope="claim", key=client_ip(request), limit=getattr(settings, "CLAIM_LOOKUPS_PER_WINDOW", CLAIM_LOOKUPS_PER_WINDOW), window_seconds=CLAIM_WINDOW_SECONDS
        ):
            response = render(request, "429.html", status=429)
        else:
            response = view(request, token, *args, **kwargs)
        response["Referrer-Policy"] = "no-referrer"
        return response

    return wrapper


REFUSAL_STATUS = {"unknown": 404, "claimed": 200, "cancelled": 410, "expired": 410}


def _refused(request, refusal, incentive):
    context = {"refusal": refusal, "incentive": incentive}
    return render(request, "incentives/claim_refused.html", context, status=REFUSAL_STATUS[refusal.code])


def _claim_form(request, incentive, *, initial_method=None):
    methods = incentive.organization.offered_payout_methods()
    return ClaimForm(
        request.POST or None, organization=incentive.organization, currency=incentive.currency,
        initial={"payout_method": initial_method or methods[0][0]} if methods else None,
    )


def _w9_form(request, state):
    return W9Form(request.POST or None, prefix="w9") if state == "needed" else None


def _status(request, incentive):
    """A claimed incentive's link shows where the money is; a returned payout, a form to
    correct the details (its money stays owed meanwhile); a payout held for a W-9 not given
    yet, the W-9 form."""
    form, corrected, state = None, False, w9.w9_state(incentive)
    w9_form = _w9_form(request, state)
    if w9_form is not None and request.method == "POST" and w9_form.is_valid():
        try:
            w9.w9_submit(incentive=incentive, **w9_form.values())
        except DomainError as error:
            w9_form.add_error(None, error.message)
        else:
            w9_form, state = None, "waiting"
    elif incentive.payout_status == Incentive.PayoutStatus.RETURNED:
        form = _claim_form(request, incentive, initial_method=incentive.payout_method)
        if request.method == "POST" and form.is_valid():
            try:
                corrected = services.incentive_payout_details_correct(
                    incentive=incentive, payout_method=form.cleaned_data["payout_method"],
                    payout_details=form.payout_details(),
                )
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                form = None
    return render(request, "incentives/claim_status.html", {
        "incentive": incentive, "form": form, "corrected": corrected, "w9_state": state, "w9_form": w9_form,
    })


@public_token_page
def claim(request, token):
    incentive = services.incentive_for_token(token)
    if incentive is not None:
        participant_language_record(participant=incentive.participant, language=browser_language(request))
    if incentive is not None and incentive.status == Incentive.Status.CLAIMED:
        return _status(request, incentive)
    refusal = services.claim_refusal(incentive)
    if refusal:
        return _refused(request, refusal, incentive)
    form, state = _claim_form(request, incentive), w9.w9_state(incentive)
    w9_form = _w9_form(request, state)
    if request.method == "POST" and all([form.is_valid(), w9_form is None or w9_form.is_valid()]):
        method, details = form.cleaned_data["payout_method"], form.payout_details()
        try:
            if w9_form is None:
                incentive = services.incentive_claim(incentive=incentive, payout_method=method, payout_details=details)
            else:
                incentive = w9.incentive_claim_with_w9(
                    incentive=incentive, payout_method=method, payout_details=details, w9=w9_form.values()
                )
                state = "waiting"
        except services.ClaimRefused as refused:
            return _refused(request, refused, incentive)
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            return render(request, "incentives/claim_done.html", {"incentive": incentive, "w9_state": state})
    return render(request, "incentives/claim.html", {"incentive": incentive, "form": form, "w9_state": state, "w9_form": w9_form})
