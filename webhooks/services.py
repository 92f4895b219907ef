"""Every state change of webhooks: endpoints (register, disable, enable, delete), sending a
delivery, the retry sweep, replays.

A delivery is sent by `webhook_delivery_send` holding its row lock (SELECT … FOR UPDATE SKIP
LOCKED): a second task for the same delivery, or the sweep, passes it by while it is being
sent, and one that comes later finds it delivered or sees from its attempt count that it is a
stale copy. A failure schedules the next attempt in the row (`next_attempt_at`, exponential
backoff for up to three days) and the beat sweep queues what is due: no long-delayed tasks,
which Redis would redeliver as duplicates.
"""

import datetime
import random

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.broker import enqueue_on_commit
from core.errors import DomainError, InvalidInput
from core.services import outbound_email_queue
from tenancy.models import Membership

from . import signing, transport
from .events import EVENT_TYPES, SWEEP_GRACE_SECONDS
from .models import WebhookDelivery, WebhookEndpoint, WebhookEvent

Status = WebhookDelivery.Status
# After the n-th failed attempt the next one waits about 1, 2, 4, 8 … minutes (the last fifth
# random, so deliveries failed together don't return together), at most 6 hours; a delivery
# is given up three days after it was queued, an endpoint disabled after a day of
# nothing but failures.
RETRY_FIRST = datetime.timedelta(minutes=1)
RETRY_LONGEST = datetime.timedelta(hours=6)
RETRY_FOR = datetime.timedelta(days=3)
DISABLE_AFTER = datetime.timedelta(days=1)
SWEEP_CHUNK = 500


class WebhookError(DomainError):
    code = "webhook_error"


def retry_delay(failed_attempts: int) -> datetime.timedelta:
    longest = min(RETRY_LONGEST, RETRY_FIRST * 2 ** (failed_attempts - 1))
    return longest * random.uniform(0.8, 1.0)


# --- Endpoints ---------------------------------------------------------------------------


def _clean_events(events) -> list[str]:
    chosen = sorted(set(events))
    unknown = [name for name in chosen if name not in EVENT_TYPES]
    if unknown:
        raise InvalidInput(_("Unknown event type %(types)s.") % {"types": ", ".join(unknown)}, "invalid_event_type")
    if not chosen:
        raise InvalidInput(_("Choose at least one event to send."), "no_events")
    return chosen


@transaction.atomic
def webhook_endpoint_create(*, organization, url: str, events, description: str = "", actor) -> tuple[WebhookEndpoint, str]:
    """Register an endpoint; returns it and its signing secret (shown once, never stored)."""
    url = transport.check_url(url)
    nonce = signing.new_nonce()
    secret = signing.endpoint_secret(nonce)
    endpoint = WebhookEndpoint.objects.create(
        organization=organization, url=url, events=_clean_events(events), description=description.strip(),
        secret_nonce=nonce, secret_prefix=secret[:10], created_by=actor,
    )
    return endpoint, secret


def _fail_pending(endpoint: WebhookEndpoint, why: str) -> int:
    return endpoint.deliveries.pending().update(status=Status.FAILED, next_attempt_at=None, error=why)


@transaction.atomic
def webhook_endpoint_disable(*, endpoint: WebhookEndpoint, actor, reason: str = "") -> bool:
    """Stop sending to the endpoint; what was still to be sent is marked failed (Replay sends
    it again once it is enabled). False if it was disabled already."""
    reason = reason or _("Disabled by %(actor)s.") % {"actor": actor}
    changed = WebhookEndpoint.objects.filter(pk=endpoint.pk, disabled_at__isnull=True).update(
        disabled_at=timezone.now(), disabled_reason=reason
    )
    endpoint.refresh_from_db()
    if changed:
        _fail_pending(endpoint, _("Not sent: the endpoint was disabled."))
    return bool(changed)


@transaction.atomic
def webhook_endpoint_enable(*, endpoint: WebhookEndpoint, actor) -> bool:
    changed = WebhookEndpoint.objects.filter(pk=endpoint.pk, disabled_at__isnull=False).update(
        disabled_at=None, disabled_reason="", failing_since=None
    )
    endpoint.refresh_from_db()
    return bool(changed)


@transaction.atomic
def webhook_endpoint_delete(*, endpoint: WebhookEndpoint, actor) -> None:
    """The endpoint and its delivery log go; the events stay (other endpoints may have them)."""
    WebhookDelivery.objects.filter(endpoint=endpoint).delete()
    WebhookEndpoint.objects.filter(pk=endpoint.pk).delete()


def _endpoint_owners(endpoint: WebhookEndpoint) -> list:
    """Who is told about the endpoint: whoever registered it, if still a manager, and the owners."""
    managers = Membership.objects.filter(organization_id=endpoint.organization_id).select_related("user")
    people = [m.user for m in managers if m.role == Membership.Role.OWNER or (m.user_id == endpoint.created_by_id and m.is_manager)]
    return list({user.pk: user for user in people}.values())


def _disable_failing(endpoint_id: int, now: datetime.datetime) -> bool:
    """Disable the endpoint if it has failed for a day without a success, and tell its owners
    (through the outbox). Of concurrent deliveries, one conditional update wins: one email."""
    cutoff = now - DISABLE_AFTER
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_related("organization").get(pk=endpoint_id)
        changed = WebhookEndpoint.objects.filter(
            pk=endpoint_id, disabled_at__isnull=True, failing_since__lte=cutoff
        ).update(disabled_at=now, disabled_reason=_("Disabled automatically: every attempt failed for a day."))
        if not changed:
            return False
        _fail_pending(endpoint, _("Not sent: the endpoint was disabled after a day of failures."))
        link = settings.SITE_URL + reverse("webhooks:endpoint_detail", args=[endpoint.pk])
        for user in _endpoint_owners(endpoint):
            with translation.override(user.email_language):
                outbound_email_queue(
                    organization=endpoint.organization, purpose="webhook_endpoint_disabled",
                    reference=f"webhook-endpoint:{endpoint.pk}", to_email=user.email, to_name=user.name,
                    subject=_("Webhook endpoint disabled: %(url)s") % {"url": endpoint.url},
                    text_body=_(
                        "Every attempt to deliver the webhook events of %(organization)s to\n%(url)s\n"
                        "has failed since %(since)s UTC, so the endpoint is now disabled "
                        "and nothing more is sent to it.\n\n"
                        "The delivery log shows the answers it gave: %(link)s\n"
                        "Once it works again, enable it there and use Replay to send what it missed."
                    ) % {"organization": endpoint.organization, "url": endpoint.url, "since": f"{endpoint.failing_since:%Y-%m-%d %H:%M}", "link": link},
                )
        return True


def _record_health(endpoint_id: int, ok: bool, now: datetime.datetime) -> None:
    """A success ends the endpoint's run of failures; a failure starts one, or, a day into one,
    disables the endpoint."""
    endpoints = WebhookEndpoint.objects.filter(pk=endpoint_id)
    if ok:
        endpoints.exclude(failing_since=None).update(failing_since=None)
        return
    endpoints.filter(failing_since=None).update(failing_since=now)
    _disable_failing(endpoint_id, now)


# --- Sending -----------------------------------------------------------------------------


def webhook_delivery_send(*, delivery_id: int, attempts: int) -> str:
    """Make attempt number `attempts + 1` of one delivery, unless it is being sent right now,
    is done, or has been tried since this task was queued (a stale copy). Returns its status,
    or "skipped".

    The row stays locked while the receiver answers, so the attempt is recorded with the
    answer in one commit; a worker dying mid-request leaves the row as it was, and the sweep
    sends it again with the same event id (receivers de-duplicate on `webhook-id`).
    """
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("endpoint", "event").filter(pk=delivery_id).first()
        )
        if delivery is None:
            return "skipped"
        if delivery.status != Status.PENDING:
            return delivery.status
        if delivery.attempts != attempts:  # tried since this task was queued
            return "skipped"
        endpoint, event = delivery.endpoint, delivery.event
        now = timezone.now()
        if not endpoint.is_enabled:
            delivery.status, delivery.next_attempt_at, delivery.error = Status.FAILED, None, _("Not sent: the endpoint is disabled.")
            delivery.save(update_fields=["status", "next_attempt_at", "error"])
            return delivery.status
        headers = signing.signed_headers(
            secret=signing.endpoint_secret(endpoint.secret_nonce), event_id=event.event_id, body=event.body, at=now
        )
        answer = transport.post(endpoint.url, body=event.body, headers=headers)
        delivery.attempts += 1
        delivery.last_attempt_at = now
        delivery.response_status = answer.status
        delivery.response_excerpt = answer.excerpt
        delivery.error = answer.error
        if answer.ok:
            delivery.status, delivery.delivered_at, delivery.next_attempt_at = Status.DELIVERED, now, None
        else:
            next_at = now + retry_delay(delivery.attempts)
            if next_at > delivery.created_at + RETRY_FOR:
                delivery.status, delivery.next_attempt_at = Status.FAILED, None
                delivery.error = (_("Given up after %(attempts)s attempts over three days. Last: %(error)s") % {"attempts": delivery.attempts, "error": answer.error})[:500]
            else:
                delivery.next_attempt_at = next_at
        delivery.save(update_fields=[
            "attempts", "last_attempt_at", "response_status", "response_excerpt", "error", "status",
            "delivered_at", "next_attempt_at",
        ])
    _record_health(endpoint.pk, answer.ok, now)
    return delivery.status


def webhook_deliveries_sweep(*, now: datetime.datetime | None = None) -> int:
    """Queue a send task for every delivery due by `now` (beat, every minute): retries whose
    time has come and first attempts whose task was lost. Rows being sent are locked and
    skipped. Walks the due rows in id order, a chunk per statement; returns how many it queued."""
    from . import tasks

    now = now or timezone.now()
    queued, after = 0, 0
    while True:
        with transaction.atomic():
            chunk = list(
                WebhookDelivery.objects.due(now).filter(pk__gt=after)
                .select_for_update(skip_locked=True, of=("self",))
                .order_by("pk").values_list("pk", "attempts")[:SWEEP_CHUNK]
            )
        for pk, attempts in chunk:
            tasks.webhook_delivery_send.delay(pk, attempts)
        queued += len(chunk)
        if len(chunk) < SWEEP_CHUNK:
            return queued
        after = chunk[-1][0]


# --- Replays -----------------------------------------------------------------------------


def _require_enabled(endpoint: WebhookEndpoint) -> None:
    if not endpoint.is_enabled:
        raise WebhookError(_("This endpoint is disabled; enable it before replaying events to it."), "endpoint_disabled")


@transaction.atomic
def webhook_delivery_replay(*, delivery: WebhookDelivery, actor) -> WebhookDelivery:
    """Send the delivery's event to its endpoint again, as a new delivery with the same event
    id. While one is pending, replaying again returns it instead of queueing another."""
    endpoint = delivery.endpoint
    _require_enabled(endpoint)
    now = timezone.now()
    try:
        with transaction.atomic():
            replay = WebhookDelivery.objects.create(
                organization=delivery.organization, endpoint=endpoint, event=delivery.event, replay_of=delivery,
                created_at=now, next_attempt_at=now + datetime.timedelta(seconds=SWEEP_GRACE_SECONDS),
            )
    except IntegrityError:  # one is pending already (webhook_delivery_one_pending)
        return WebhookDelivery.objects.pending().get(endpoint=endpoint, event=delivery.event)
    from . import tasks

    enqueue_on_commit(tasks.webhook_delivery_send, replay.pk, 0)
    return replay


@transaction.atomic
def webhook_endpoint_replay_since(*, endpoint: WebhookEndpoint, since: datetime.datetime, actor) -> int:
    """Send again every event this endpoint was sent (or was to be sent) since `since`, each
    as a new delivery with its own event id; events already pending are not queued twice.
    Returns how many events will be sent. The sweep, queued on commit, sends them."""
    _require_enabled(endpoint)
    if since > timezone.now():
        raise InvalidInput(_("Choose a time in the past."), "since_in_future")
    now = timezone.now()
    event_ids = list(
        WebhookEvent.objects.for_org(endpoint.organization)
        .filter(deliveries__endpoint=endpoint, created_at__gte=since).distinct().order_by("pk").values_list("pk", flat=True)
    )
    for start in range(0, len(event_ids), SWEEP_CHUNK):
        WebhookDelivery.objects.bulk_create(
            [
                WebhookDelivery(organization=endpoint.organization, endpoint=endpoint, event_id=pk, created_at=now, next_attempt_at=now)
                for pk in event_ids[start : start + SWEEP_CHUNK]
            ],
            ignore_conflicts=True,  # already pending: it is sent anyway
        )
    from . import tasks

    enqueue_on_commit(tasks.webhook_deliveries_sweep)
    return len(event_ids)
