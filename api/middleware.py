from django.http import JsonResponse

from .errors import error_body

PREFIX = "/api/v1/"


class JsonErrorsMiddleware:
    """Under /api/v1/, the answers Django and ninja give outside any endpoint (a path that
    matches none: 404; a method the path doesn't take: 405) are `{"code", "message"}` JSON
    like every other API error, not an HTML page or plain text."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not request.path.startswith(PREFIX) or response.get("Content-Type", "").startswith("application/json"):
            return response
        where = f"{request.method} {request.path}"
        if response.status_code == 404:
            return JsonResponse(error_body("not_found", f"There is no endpoint {where}."), status=404)
        if response.status_code == 405:
            allowed = response.get("Allow", "")
            answer = JsonResponse(error_body("method_not_allowed", f"{where} is not allowed; use {allowed}."), status=405)
            answer["Allow"] = allowed
            return answer
        return response
