"""Demo payouts: Acme's gift cards owed in dollars go out in one batch, marked sent; the rest
(a SEPA transfer, a charity donation) stay owed for the Payouts page to batch."""

from .models import PayoutBatch
from .services import PayoutError, payout_batch_create, payout_batch_mark_sent


def seed(demo, stdout):
    organization = demo.orgs["acme"]
    if PayoutBatch.objects.for_org(organization).exists():
        return
    owner = demo.users["owner@acme.test"]
    try:
        batch = payout_batch_create(organization=organization, method="gift_card", currency="USD", actor=owner)
    except PayoutError:
        return
    payout_batch_mark_sent(batch=batch, actor=owner)
    stdout.write(f"Paid {batch.payout_count} demo gift cards in batch {batch.pk}; the rest is owed on the Payouts page.")
