from django.conf import settings
from django.http import JsonResponse
from django.utils.translation import gettext as _

from core.money import format_number

from .errors import error_body

PREFIX = "/api/v1/"


def _declared_length(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


class JsonErrorsMiddleware:
    """Under /api/v1/, the answers Django and ninja give outside any endpoint (a path that
    matches none: 404; a method the path doesn't take: 405) are `{"code", "message"}` JSON
    like every other API error, not an HTML page or plain text; a body declared larger than
    DATA_UPLOAD_MAX_MEMORY_SIZE is a JSON 413 before anything reads it (api.main answers one
    that didn't say its length the same way)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith(PREFIX) and _declared_length(request) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            limit = format_number(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
            message = _("The request body is larger than %(limit)s bytes; no endpoint takes that much.") % {"limit": limit}
            return JsonResponse(error_body("too_large", message), status=413)
        response = self.get_response(request)
        if not request.path.startswith(PREFIX) or response.get("Content-Type", "").startswith("application/json"):
            return response
        where = f"{request.method} {request.path}"
        if response.status_code == 404:
            return JsonResponse(error_body("not_found", _("There is no endpoint %(where)s.") % {"where": where}), status=404)
        if response.status_code == 405:
            allowed = response.get("Allow", "")
            answer = JsonResponse(error_body("method_not_allowed", _("%(where)s is not allowed; use %(allowed)s.") % {"where": where, "allowed": allowed}), status=405)
            answer["Allow"] = allowed
            return answer
        return response
