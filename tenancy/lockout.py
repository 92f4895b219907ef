"""How django-axes counts failed logins (its AXES_USERNAME_CALLABLE and AXES_LOCKOUT_PARAMETERS).

Two locks, both on the normalised email (stripped, lower-cased, as accounts store it), so
changing its capitals or adding spaces is the same account:

- one email from one address: AXES_FAILURE_LIMIT failures (5) lock that pair;
- one email from any addresses: AXES_ACCOUNT_FAILURE_LIMIT failures (15) within the cool-off
  lock the account everywhere, so guesses spread over many addresses are bounded too. The
  higher threshold keeps one careless address from locking its owner out.
"""

from datetime import timedelta

from axes.models import AccessAttempt, AccessBase
from django.conf import settings
from django.db.models import Sum
from django.utils import timezone

PAIR = ["username", "ip_address"]


def normalised_email(value) -> str | None:
    return value.strip().lower() if isinstance(value, str) else value


def login_username(request, credentials=None) -> str | None:
    """The email a login attempt names, as accounts store it (AXES_USERNAME_CALLABLE)."""
    field = settings.AXES_USERNAME_FORM_FIELD
    source = credentials if credentials is not None else getattr(request, "POST", {})
    return normalised_email(source.get(field))


def account_failures(username: str | None) -> int:
    """Failed logins for this email from every address within the cool-off period."""
    if not username:
        return 0
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    attempts = AccessAttempt.objects.filter(username=username, attempt_time__gte=since)
    return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0


def lockout_parameters(request_or_attempt, credentials=None) -> list:
    """The email-and-address pair always; the email alone once it reached the account limit
    (AXES_LOCKOUT_PARAMETERS: axes then locks when either count reaches AXES_FAILURE_LIMIT)."""
    if isinstance(request_or_attempt, AccessBase):
        username = request_or_attempt.username
    else:
        username = login_username(request_or_attempt, credentials)
    if account_failures(username) >= settings.AXES_ACCOUNT_FAILURE_LIMIT:
        return [PAIR, "username"]
    return [PAIR]
