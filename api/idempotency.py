"""Idempotency-Key: the same key and request give the first response; another request is refused.

The key is claimed (a row without a response) in its own committed transaction before the
work starts, so a concurrent duplicate finds it and gets a 409 instead of doing the work
twice. The work and its stored response then commit together: a crash leaves either both or
neither, and a claim left without a response for IN_FLIGHT_TIMEOUT (its request died) may be
taken over. Keys are scoped to the organization.
"""

import datetime
import hashlib
import json
from collections.abc import Callable

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError, InvalidInput
from core.models import IdempotencyRecord

from .errors import error_body

IN_FLIGHT_TIMEOUT = datetime.timedelta(minutes=10)


def fingerprint_of(path: str, body: dict) -> str:
    canonical = json.dumps({"path": path, "body": body}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _in_progress() -> DomainError:
    return DomainError(_("A request with this Idempotency-Key is in progress; retry later."), "idempotency_in_progress")


def idempotent(*, organization, key: str | None, fingerprint: str, run: Callable[[], tuple[int, dict]]) -> tuple[int, dict]:
    """Run `run` once per key; refused and conflicting outcomes are stored and replayed too."""
    if not key:
        return _outcome(run)
    record = IdempotencyRecord.objects.claim(organization=organization, key=key, fingerprint=fingerprint)
    if record is None:
        existing = IdempotencyRecord.objects.filter(organization=organization, key=key).first()
        if existing is None:  # the first request failed and released the key just now
            raise _in_progress()
        if existing.fingerprint != fingerprint:
            raise InvalidInput(_("This Idempotency-Key was used with a different request."), "idempotency_key_reused")
        if existing.status_code is not None:
            return existing.status_code, existing.response
        abandoned = IdempotencyRecord.objects.filter(
            pk=existing.pk, status_code__isnull=True, created_at__lt=timezone.now() - IN_FLIGHT_TIMEOUT
        ).delete()[0]
        record = IdempotencyRecord.objects.claim(organization=organization, key=key, fingerprint=fingerprint) if abandoned else None
        if record is None:
            raise _in_progress()
    try:
        with transaction.atomic():
            status, body = _outcome(run)
            IdempotencyRecord.objects.filter(pk=record.pk).update(status_code=status, response=body)
    except BaseException:
        record.delete()  # nothing was done: the key may be used again
        raise
    return status, body


def _outcome(run) -> tuple[int, dict]:
    try:
        return run()
    except DomainError as error:
        return error.status, error_body(error.code, error.message)
