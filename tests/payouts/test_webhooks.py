"""Payout events: incentive.paid when the batch is marked sent, payout_returned and
payout_abandoned when money comes back; once each, whatever is repeated."""

import datetime

import pytest
from django.utils import timezone

from payouts import services
from webhooks.models import WebhookEvent

from ..webhooks.conftest import register
from .conftest import claimed, payout_of

pytestmark = pytest.mark.django_db


def test_payouts_tell_paid_returned_and_abandoned_once_each(sepa_org, usd_study, owner, finance):
    register(sepa_org, "http://127.0.0.1:9/a", events=["incentive.paid", "incentive.payout_returned", "incentive.payout_abandoned"])
    first, second = claimed(usd_study, 2, "gift_card", actor=owner)
    assert not WebhookEvent.objects.exists()  # a claim owes the money; nothing is paid yet
    batch = services.payout_batch_create(organization=sepa_org, method="gift_card", currency="USD", actor=finance)
    for _ in range(2):
        services.payout_batch_mark_sent(batch=batch, actor=finance)
        services.payout_mark_failed(payout=payout_of(first), reason="Bounced", actor=finance)
        services.payouts_abandon_due(now=timezone.now() + datetime.timedelta(days=91))
    types = list(WebhookEvent.objects.order_by("pk").values_list("type", flat=True))
    assert types == ["incentive.paid", "incentive.paid", "incentive.payout_returned", "incentive.payout_abandoned"]
