"""Each organization's incentive policies, applied by Celery beat (see policy_tasks.py):

- reminders: on each day listed in `Organization.reminder_days` after sending, an unclaimed
  incentive gets a reminder, at most once per listed day. A reminder sent on or after a day
  (by hand, or late because beat was down) counts for it, so at most len(reminder_days)
  automatic reminders ever go out and a missed day is caught up once, not twice; with
  `Organization.reminder_max` set, none goes out once an incentive has had that many
  reminders, resends by hand included;
- expiry: an incentive unclaimed `unclaimed_expire_after_days` after sending becomes
  `expired` (DESIGN.md's status for the organization's policy; `cancelled` is a person's act)
  and its money returns to the budget (services.bulk.incentives_expire_many: one conditional
  UPDATE and one release per budget for each batch of 500, so a claim racing it has one winner).

Both run as the system (actor None). Reminders go row by row, each its own transaction (each
sends an email); expiry batch by batch, each batch its own transaction.
"""

import datetime
import logging

from django.db.models import F, Q
from django.utils import timezone

from core.errors import DomainError
from tenancy.models import Organization

from .models import Incentive
from .services import incentive_remind
from .services.bulk import incentives_expire_many

log = logging.getLogger(__name__)
BATCH = 500


def incentives_due_reminder(*, organization: Organization, now: datetime.datetime):
    """Unclaimed incentives whose latest passed reminder day has had no reminder yet (and,
    with a cap, fewer reminders than the cap)."""
    days = sorted(set(organization.reminder_days or []))
    due = Q()
    for day, next_day in zip(days, days[1:] + [None]):
        reminder_day = datetime.timedelta(days=day)
        # `day` is the latest reminder day passed: sent between next_day and day ago.
        window = Q(sent_at__lte=now - reminder_day)
        if next_day is not None:
            window &= Q(sent_at__gt=now - datetime.timedelta(days=next_day))
        not_yet = Q(last_reminded_at__isnull=True) | Q(last_reminded_at__lt=F("sent_at") + reminder_day)
        due |= window & not_yet
    if not days:
        return Incentive.objects.none()
    if organization.reminder_max is not None:
        due &= Q(reminder_count__lt=organization.reminder_max)
    return Incentive.objects.for_org(organization).unclaimed().filter(due)


def incentives_due_expiry(*, organization: Organization, now: datetime.datetime):
    if not organization.unclaimed_expire_after_days:
        return Incentive.objects.none()
    limit = now - datetime.timedelta(days=organization.unclaimed_expire_after_days)
    return Incentive.objects.for_org(organization).unclaimed().sent_before(limit)


def _apply(queryset, action) -> int:
    """Run `action` on each row, in id batches; a refused row (claimed meanwhile) is left."""
    count, last_pk = 0, 0
    while True:
        batch = list(queryset.filter(pk__gt=last_pk).select_related("organization", "study", "participant").order_by("pk")[:BATCH])
        if not batch:
            return count
        for incentive in batch:
            try:
                count += bool(action(incentive=incentive, actor=None))
            except DomainError as error:
                log.warning("Policy skipped incentive %s: %s", incentive.pk, error.message)
        last_pk = batch[-1].pk


def incentives_remind_due(*, now: datetime.datetime | None = None) -> int:
    """Send every organization's due reminders; returns how many went out."""
    now = now or timezone.now()
    organizations = Organization.objects.exclude(reminder_days=[])
    return sum(_apply(incentives_due_reminder(organization=org, now=now), incentive_remind) for org in organizations)


def incentives_expire_unclaimed_due(*, now: datetime.datetime | None = None) -> int:
    """Expire every organization's incentives unclaimed past its period, set-based: one
    transaction (a conditional UPDATE and one release per budget) per batch of ids; returns how many."""
    now = now or timezone.now()
    expired = 0
    for organization in Organization.objects.filter(unclaimed_expire_after_days__isnull=False):
        due = incentives_due_expiry(organization=organization, now=now).order_by("pk")
        last_pk = 0
        while ids := list(due.filter(pk__gt=last_pk).values_list("pk", flat=True)[:BATCH]):
            expired += incentives_expire_many(
                organization=organization, ids=ids, reason="unclaimed past the organization's period"
            )
            last_pk = ids[-1]
    return expired
