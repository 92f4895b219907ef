"""The yearly tax-reporting threshold: above it, a person paid by the organization in one
calendar year needs a W-9 before they are paid more.

Defaults are the US Form 1099-NEC / 1099-MISC reporting thresholds: $600 for payments made
before 2026, and $2,000 for payments made from 2026 under the One Big Beautiful Bill Act
(Pub. L. 119-21, 2025), which also indexes the figure for inflation from 2027. An
organization sets its own figure per year (`TaxThreshold`) when the IRS publishes the
indexed amount or its advisers ask for another; the figure is in its reporting currency.
The rule everywhere: a total *above* the threshold needs the W-9 ($2,000.00 does not,
$2,000.01 does).
"""

from django.db import transaction
from django.utils.translation import gettext as _

from tenancy.models import Organization, TaxThreshold

from .errors import InvalidInput
from .money import Money

FIRST_YEAR_AT_2000 = 2026
DEFAULT_BEFORE_MINOR = 600_00
DEFAULT_FROM_2026_MINOR = 2_000_00


def default_threshold_minor(year: int) -> int:
    return DEFAULT_FROM_2026_MINOR if year >= FIRST_YEAR_AT_2000 else DEFAULT_BEFORE_MINOR


def tax_threshold(*, organization: Organization, year: int) -> Money:
    """The organization's threshold for `year`, in its reporting currency."""
    own = TaxThreshold.objects.for_org(organization).filter(year=year).values_list("amount_minor", flat=True).first()
    return Money(default_threshold_minor(year) if own is None else own, organization.tax_currency)


def tax_thresholds(*, organization: Organization, years) -> dict[int, Money]:
    """`tax_threshold` for several years in one query."""
    own = dict(TaxThreshold.objects.for_org(organization).filter(year__in=list(years)).values_list("year", "amount_minor"))
    return {year: Money(own.get(year, default_threshold_minor(year)), organization.tax_currency) for year in years}


@transaction.atomic
def tax_threshold_set(*, organization: Organization, year: int, amount: Money | None) -> TaxThreshold | None:
    """Set (or, with None, remove: back to the default) the organization's threshold for a year."""
    if amount is None:
        TaxThreshold.objects.for_org(organization).filter(year=year).delete()
        return None
    if amount.amount_minor < 0:
        raise InvalidInput(_("The threshold can't be negative."), "invalid_amount")
    if amount.currency != organization.tax_currency:
        raise InvalidInput(
            _("The threshold is in %(currency)s, the reporting currency.") % {"currency": organization.tax_currency}, "invalid_amount"
        )
    threshold, _created = TaxThreshold.objects.update_or_create(
        organization=organization, year=year, defaults={"amount_minor": amount.amount_minor}
    )
    return threshold
