"""How a refusal reaches the screen, for every page (docs/architecture.md, "Errors").

- A view that has a form catches DomainError and re-renders the form with the message
  (`form.add_error(None, error.message)`), or, after a POST that redirects, adds it as an error
  message (`messages.error`), which the next page shows.
- An htmx request gets the message swapped into the place the person is looking at: the
  response carries `HX-Retarget: #messages` (the toast area at the top of every page) and
  `X-Refusal`, which static/js/app.js reads to put it inside an open dialog instead. htmx is
  configured (base.html) to swap 4xx and 5xx responses, so none is dropped.
- What a view does not catch is caught here: a DomainError, PermissionDenied or Http404 of an
  htmx request becomes that toast; a DomainError of a full page becomes a page that says it.
"""

import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django_htmx.http import HttpResponseClientRedirect
from django.utils.translation import gettext_lazy as _

from .errors import DomainError

logger = logging.getLogger(__name__)

TOAST_TARGET = "#messages"
NOT_FOUND_MESSAGE = _("That is not here any more, or it belongs to another organization. Reload the page.")
FORBIDDEN_MESSAGE = _("Your role in this organization doesn't allow that.")


def refusal_response(request, message: str, *, status: int = 409):
    """The message as an error toast for an htmx request, whatever the request's target was."""
    response = render(request, "core/_refusal.html", {"message": message}, status=status)
    response["HX-Retarget"] = TOAST_TARGET
    response["HX-Reswap"] = "innerHTML"
    response["X-Refusal"] = "1"
    return response


def _refusal_of(exception) -> tuple[str, int] | None:
    if isinstance(exception, DomainError):
        return exception.message, exception.status
    if isinstance(exception, PermissionDenied):
        return str(exception) or FORBIDDEN_MESSAGE, 403
    if isinstance(exception, Http404):
        return NOT_FOUND_MESSAGE, 404
    return None


def _back_url(request) -> str:
    referer = request.headers.get("Referer", "")
    allowed = url_has_allowed_host_and_scheme(referer, allowed_hosts={request.get_host()}, require_https=request.is_secure())
    return referer if allowed else ""


class RefusalMiddleware:
    """Refusals no view caught, shown where the person looks; for htmx, a sign-in that expired
    sends the whole page to the login form instead of swapping it into a fragment."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if getattr(request, "htmx", False) and response.status_code == 302:
            location = response.get("Location", "")
            if location.startswith(resolve_url(settings.LOGIN_URL)):
                return HttpResponseClientRedirect(location)
        return response

    def process_exception(self, request, exception):
        if request.path.startswith("/api/"):
            return None  # the API answers in JSON (api.main)
        refusal = _refusal_of(exception)
        if refusal is None:
            return None
        message, status = refusal
        if getattr(request, "htmx", False):
            return refusal_response(request, message, status=status)
        if isinstance(exception, DomainError):
            context = {"message": message, "back": _back_url(request)}
            return render(request, "refused.html", context, status=status)
        return None  # Django's own 403 and 404 pages


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: a page kept open past its session's end, said plainly."""
    message = _("This page has expired. Reload it and try again.")
    if getattr(request, "htmx", False):
        return refusal_response(request, message, status=403)
    return render(request, "refused.html", {"message": message, "back": _back_url(request)}, status=403)
