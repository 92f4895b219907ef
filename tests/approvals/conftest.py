import pytest

from tenancy.models import Organization

from ..studies.conftest import study  # noqa: F401  (the same study fixture)
from ..offers.conftest import offer_factory, offer_in, program, provider  # noqa: F401
from ..webhooks.conftest import receiver  # noqa: F401  (a local receiver for webhook endpoints)


def set_thresholds(organization, *, total_minor=None, each_minor=None, currency="USD"):
    Organization.objects.filter(pk=organization.pk).update(
        approval_currency=currency, approval_total_above_minor=total_minor, approval_participant_above_minor=each_minor
    )
    organization.refresh_from_db()


@pytest.fixture
def thresholds(organization):
    """Above $100.00 in total, or $50.00 to any one person, a payment waits."""
    set_thresholds(organization, total_minor=10_000, each_minor=5_000)
    return organization
