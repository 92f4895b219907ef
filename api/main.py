"""The REST API (/api/v1/): django-ninja, Bearer organization API keys, `{"code", "message"}` errors."""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import OperationalError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer

from audit.context import identify_api_key
from core.errors import DomainError
from core.money import MoneyError, format_number
from tenancy.services import api_key_authenticate

from .errors import error_body


class ApiKeyAuth(HttpBearer):
    """`Authorization: Bearer <key>`: the key's organization is the only one the request sees."""

    def authenticate(self, request, token):
        key = api_key_authenticate(token)
        if key is not None:
            identify_api_key(key)  # the audit log's actor for this request
            if key.organization.module_switched_off(request.path_info):
                raise Http404("switched off")
        return key


api = NinjaAPI(
    title="Gratia API",
    version="1",
    description="Account-level rewards and research incentives. Amounts are integer minor units (cents).",
    auth=ApiKeyAuth(),
    urls_namespace="api",
)


def too_large_message() -> str:
    limit = format_number(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
    return _("The request body is larger than %(limit)s bytes; no endpoint takes that much.") % {"limit": limit}


def error_response(request, status: int, code: str, message: str):
    return api.create_response(request, error_body(code, message), status=status)


def _validation_message(errors: list[dict]) -> str:
    parts = []
    for error in errors:
        where = ".".join(str(part) for part in error.get("loc", ()) if part not in ("body", "payload"))
        parts.append(f"{where}: {error.get('msg', 'invalid')}" if where else error.get("msg", "invalid"))
    return "; ".join(parts) or _("Invalid input.")


@api.exception_handler(AuthenticationError)
def _unauthorized(request, exc):
    return error_response(request, 401, "unauthorized", _("A valid API key is required: send `Authorization: Bearer <key>`."))


@api.exception_handler(Http404)
def _not_found(request, exc):
    return error_response(request, 404, "not_found", _("Not found."))


@api.exception_handler(ValidationError)
def _invalid(request, exc):
    return error_response(request, 422, "invalid", _validation_message(exc.errors))


@api.exception_handler(MoneyError)
def _bad_money(request, exc):
    return error_response(request, 422, "invalid_amount", str(exc))


@api.exception_handler(RequestDataTooBig)
def _too_large(request, exc):
    return error_response(request, 413, "too_large", too_large_message())


@api.exception_handler(OperationalError)
def _database_error(request, exc):
    """Passed on to Django, also with DEBUG on: core.db.RetryOnConflictMiddleware runs the
    request again after a deadlock or serialization failure."""
    raise exc


@api.exception_handler(DomainError)
def _refused(request, exc):
    """Every refusal of every app: its own status (409 state conflict, 422 bad input, ...)."""
    return error_response(request, exc.status, exc.code, exc.message)


@api.exception_handler(HttpError)
def _http_error(request, exc):
    # ninja answers an unreadable body with a 400; for clients it is invalid input like any other.
    if exc.status_code == 400:
        return error_response(request, 422, "invalid", exc.message)
    return error_response(request, exc.status_code, "error", exc.message)


def _mount_routers():
    from .approvals import router as approvals_router
    from .incentives import router as incentives_router
    from .rewards import router as rewards_router
    from .webhooks import router as webhooks_router

    api.add_router("", rewards_router, tags=["rewards"])
    api.add_router("", incentives_router, tags=["incentives"])
    api.add_router("", webhooks_router, tags=["webhooks"])
    api.add_router("", approvals_router, tags=["approvals"])


_mount_routers()
