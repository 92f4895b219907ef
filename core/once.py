"""One-time form keys: a money-moving form posted twice (a double click, a page resubmitted,
a retried request) moves the money once.

The form carries `{% once_field %}` (core/templatetags/once.py), a random key made when the
page is rendered. The view runs its service inside `with once(request) as first:`; the key is
claimed through IdempotencyRecord in the same transaction as the service, so a refused action
frees its key (the person can correct and post again) and a repeat finds it taken:

    with once(request) as first:
        if first:
            services.budget_fund(...)

A view whose whole answer is a flash message uses `act_once(request, action, done=...)`.
"""

import contextlib
import re
import uuid

from django.contrib import messages
from django.db import transaction
from django.utils.translation import gettext as _

from .errors import DomainError, InvalidInput
from .models import IdempotencyRecord

FIELD = "once"
KEY_PREFIX = "form:"
_KEY = re.compile(r"[0-9a-f]{32}")


def new_key() -> str:
    return uuid.uuid4().hex


@contextlib.contextmanager
def once(request):
    """Yields True the first time this form's key is posted, False on a repeat. A post without
    a key (an older page, a script) is done as posted."""
    key = request.POST.get(FIELD, "")
    if key and not _KEY.fullmatch(key):
        raise InvalidInput(_("This form is out of date; reload the page and try again."))
    with transaction.atomic():
        yield not key or IdempotencyRecord.objects.claim(
            organization=request.organization, key=KEY_PREFIX + key, fingerprint="form"
        ) is not None


def act_once(request, action, *, done: str) -> bool:
    """Run `action()` the first time this form is posted and say so on the next page: the
    refusal's message, `done`, or on a repeat "Done already, once: …". True unless refused."""
    try:
        with once(request) as first:
            if first:
                action()
    except DomainError as error:
        messages.error(request, error.message)
        return False
    messages.success(request, done if first else _("Done already, once: %(done)s") % {"done": f"{done[0].lower()}{done[1:]}"})
    return True
