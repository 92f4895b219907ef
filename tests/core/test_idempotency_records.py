import datetime

import pytest
from django.utils import timezone

from core import tasks
from core.models import API_KEYS_KEPT, IdempotencyRecord

pytestmark = pytest.mark.django_db


def test_api_idempotency_keys_are_forgotten_after_thirty_days_and_bulk_file_keys_never(organization):
    for key in ["old-api-key", "recent-api-key", "bulk:0f3a:2"]:
        IdempotencyRecord.objects.create(organization=organization, key=key, fingerprint="f")
    long_ago = timezone.now() - API_KEYS_KEPT - datetime.timedelta(seconds=1)
    IdempotencyRecord.objects.exclude(key="recent-api-key").update(created_at=long_ago)
    assert tasks.idempotency_keys_prune() == 1
    assert set(IdempotencyRecord.objects.values_list("key", flat=True)) == {"recent-api-key", "bulk:0f3a:2"}


def test_a_key_claimed_twice_is_claimed_once(organization):
    first = IdempotencyRecord.objects.claim(organization=organization, key="k", fingerprint="f")
    assert first is not None
    assert IdempotencyRecord.objects.claim(organization=organization, key="k", fingerprint="f") is None
    assert IdempotencyRecord.objects.count() == 1
