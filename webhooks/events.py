"""The events an organization can subscribe to, and `emit`, which services call in their own
transaction: the event and its deliveries are written with the change, and sent once it commits."""

import datetime
import json
import uuid

from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from django.utils.translation import gettext_lazy as _

from core.broker import enqueue_on_commit

# type -> what receivers are told it means (the settings form and docs/webhooks.md list them).
EVENT_TYPES = {
    "incentive.sent": _("An incentive was sent to a participant (its claim email is queued)."),
    "incentive.claimed": _("A participant claimed an incentive."),
    "incentive.paid": _("A claimed incentive's payout was sent (its batch marked sent, or its provider confirmed it)."),
    "incentive.payout_returned": _("A payout failed or the bank returned it; the money is owed again and the participant asked to correct their details."),
    "incentive.payout_abandoned": _("A returned payout was not corrected in the organization's period; its money returned to the budget."),
    "incentive.cancelled": _("An unclaimed incentive was cancelled; its money returned to the budget."),
    "incentive.expired": _("An unclaimed incentive expired; its money returned to the budget."),
    "offer.status_changed": _("An offer moved from one status to another."),
    "offer.message": _("A message was posted on an offer's thread."),
    "reward.created": _("A reward was created (pending or available)."),
    "reward.available": _("A pending reward became available (period ended, released, W-9 marked, un-cancelled)."),
    "reward.redeemed": _("Part or all of a reward was redeemed."),
    "reward.cancelled": _("A reward was cancelled."),
    "approval.requested": _("A payment above the organization's threshold waits for approval."),
    "approval.approved": _("A waiting payment was approved and has run."),
    "approval.rejected": _("A waiting payment was rejected; its money was released."),
}
# The first attempt goes out from the task queued at commit; if that task is lost (the broker
# was down), the sweep sends it this much later.
SWEEP_GRACE_SECONDS = 60


def new_event_id() -> str:
    return f"evt_{uuid.uuid4().hex}"


def event_body(event_type: str, timestamp, data: dict) -> str:
    """The Standard Webhooks envelope: {"type", "timestamp", "data"}, compact JSON."""
    envelope = {"type": event_type, "timestamp": timestamp.isoformat().replace("+00:00", "Z"), "data": data}
    return json.dumps(envelope, cls=DjangoJSONEncoder, separators=(",", ":"), ensure_ascii=False)


def emit(organization, event_type: str, payload: dict):
    """Record `event_type` with `payload` for every enabled endpoint of the organization that
    subscribed to it, in the caller's transaction; each delivery is queued when it commits.
    Returns the event, or None when no endpoint wants it (then nothing is written)."""
    events = emit_many(organization, event_type, [payload])
    return events[0] if events else None


def emit_many(organization, event_type: str, payloads: list[dict]) -> list:
    """`emit` for many events of one type (a send to N participants): one look-up of the
    endpoints and two INSERTs, whatever N."""
    from . import tasks
    from .models import WebhookDelivery, WebhookEndpoint, WebhookEvent

    if event_type not in EVENT_TYPES:
        raise ValueError(f"Unknown webhook event type {event_type!r}.")
    endpoint_ids = list(WebhookEndpoint.objects.for_org(organization).subscribed_to(event_type).values_list("pk", flat=True))
    if not endpoint_ids or not payloads:
        return []
    now = timezone.now()
    events = WebhookEvent.objects.bulk_create(
        WebhookEvent(organization=organization, event_id=new_event_id(), type=event_type,
                     body=event_body(event_type, now, payload), created_at=now)
        for payload in payloads
    )
    deliveries = WebhookDelivery.objects.bulk_create(
        WebhookDelivery(organization=organization, endpoint_id=endpoint_id, event=event, created_at=now,
                        next_attempt_at=now + datetime.timedelta(seconds=SWEEP_GRACE_SECONDS))
        for event in events
        for endpoint_id in endpoint_ids
    )
    for delivery in deliveries:
        enqueue_on_commit(tasks.webhook_delivery_send, delivery.pk, 0)
    return events


def emit_reward_action(reward, action: str, amount_minor: int):
    """Tell receivers of a reward's audited action (rewards' one place that writes them), if
    it is one they are told of (webhooks.payloads.REWARD_ACTIONS)."""
    from .payloads import reward_event

    if told := reward_event(reward, action, amount_minor):
        return emit(reward.organization, *told)
    return None
