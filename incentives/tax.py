"""Yearly tax totals of research incentives: per participant (one per email in an
organization, so across studies), per calendar year in the organization's time zone, in its
reporting currency, against its tax threshold (core.tax: $2,000 from 2026, $600 before).

- **Paid** in a year: incentives claimed in it (the claim is the payment to the person).
- **Outstanding**: incentives sent in the year (or awaiting approval) and not yet claimed, cancelled or expired.
- The send step warns about each participant the send takes above the threshold (paid +
  outstanding + this send); those incentives are sent with `w9_hold` unless the participant's
  W-9 is on file: the claim page asks for it, and the payout waits until it is marked received.
- Incentives in other currencies are not converted and do not count (the report says so).
"""

import datetime

from django.db.models import Count, Q, Sum
from django.utils import timezone

from core.money import Money
from core.tax import tax_threshold
from studies.models import Participant

from .models import Incentive


def year_bounds(organization, year: int):
    zone = organization.zone
    return datetime.datetime(year, 1, 1, tzinfo=zone), datetime.datetime(year + 1, 1, 1, tzinfo=zone)


def current_year(organization) -> int:
    return timezone.localtime(timezone.now(), organization.zone).year


def participant_year_totals(*, organization, year: int, participant_ids=None):
    """Participants with `paid_minor` and `outstanding_minor` for the year (only those with either)."""
    start, end = year_bounds(organization, year)
    currency = organization.tax_currency
    in_currency = Q(incentives__currency=currency, incentives__organization=organization)
    paid = Q(in_currency, incentives__status=Incentive.Status.CLAIMED, incentives__claimed_at__gte=start, incentives__claimed_at__lt=end)
    # Outstanding includes sends awaiting approval: their money is reserved for the person, and
    # a second send meanwhile must count them.
    waiting = [Incentive.Status.UNCLAIMED, Incentive.Status.AWAITING_APPROVAL]
    outstanding = Q(in_currency, incentives__status__in=waiting, incentives__sent_at__gte=start, incentives__sent_at__lt=end)
    people = Participant.objects.for_org(organization)
    if participant_ids is not None:
        people = people.filter(pk__in=participant_ids)
    return (
        people.annotate(
            paid_minor=Sum("incentives__amount_minor", filter=paid, default=0),
            outstanding_minor=Sum("incentives__amount_minor", filter=outstanding, default=0),
            paid_count=Count("incentives", filter=paid),
        )
        .filter(Q(paid_minor__gt=0) | Q(outstanding_minor__gt=0))
        .order_by("name", "pk")
    )


def send_crossings(*, organization, participants, amount: Money) -> list[dict]:
    """The participants this send takes above the year's threshold: name, the total they reach,
    the threshold and whether their W-9 is on file. Two queries."""
    if amount.currency != organization.tax_currency:
        return []
    threshold = tax_threshold(organization=organization, year=current_year(organization))
    totals = {
        person.pk: person.paid_minor + person.outstanding_minor
        for person in participant_year_totals(organization=organization, year=current_year(organization), participant_ids=[p.pk for p in participants])
    }
    crossings = []
    for person in participants:
        reach = totals.get(person.pk, 0) + amount.amount_minor
        if reach > threshold.amount_minor:
            crossings.append({"participant": person, "reach": Money(reach, amount.currency), "threshold": threshold, "w9_on_file": person.w9_submitted_at is not None})
    return crossings


def year_report_csv_rows(*, organization, year: int):
    """The 1099 worksheet: one row per participant paid or owed in the year."""
    threshold = tax_threshold(organization=organization, year=year)
    for person in participant_year_totals(organization=organization, year=year):
        yield [
            person.name, person.email, year, Money(person.paid_minor, threshold.currency).plain(),
            Money(person.outstanding_minor, threshold.currency).plain(), threshold.currency, person.paid_count,
            "yes" if person.paid_minor > threshold.amount_minor else "no",
            timezone.localtime(person.w9_submitted_at).date().isoformat() if person.w9_submitted_at else "",
        ]


REPORT_HEADER = ["name", "email", "year", "paid", "outstanding", "currency", "payments", "above_threshold", "w9_received"]
