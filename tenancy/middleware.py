from django.conf import settings
from django.http import Http404
from django.utils import timezone, translation

SESSION_KEY = "organization_id"


class CurrentOrganizationMiddleware:
    """Sets request.memberships, request.membership (the organization chosen in the header,
    kept in the session) and request.organization; None for anonymous visitors. The pages of a
    module the organization switched off (Settings) are not found."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.memberships = []
        if request.user.is_authenticated:
            request.memberships = list(request.user.memberships.select_related("organization"))
        chosen = request.session.get(SESSION_KEY)
        request.membership = next(
            (m for m in request.memberships if m.organization_id == chosen),
            request.memberships[0] if request.memberships else None,
        )
        request.organization = request.membership.organization if request.membership else None
        if request.organization is None:
            return self.get_response(request)
        if module := request.organization.module_switched_off(request.path_info):
            raise Http404(f"{request.organization} has switched {module} off.")
        # Pages show dates and times in the organization's time zone (templates add its name).
        with timezone.override(request.organization.zone):
            return self.get_response(request)


class UserLanguageMiddleware:
    """A signed-in user's own language (User.language) wins over the browser's and the cookie's,
    which LocaleMiddleware picked before; empty leaves that choice."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = request.user.is_authenticated and request.user.language
        if language:
            translation.activate(language)
            request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)


def browser_language(request) -> str | None:
    """The language the browser asks for (the language cookie, else Accept-Language), as one
    of settings.LANGUAGES; None when it asks for none. Public pages record it for the person
    they address (a participant, an offer member) when their language is not known yet."""
    if not (request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) or request.META.get("HTTP_ACCEPT_LANGUAGE")):
        return None
    return translation.get_language_from_request(request)
