import pytest
from django.core.management import call_command

from offers.models import Offer, OfferEvent
from offers.transitions import Status
from tenancy.models import Organization

pytestmark = pytest.mark.django_db


def test_the_demo_has_offers_in_every_status_and_seeding_again_adds_nothing(tmp_path):
    with open(tmp_path / "out.txt", "w") as out:
        call_command("seed_demo", stdout=out)
        acme = Organization.objects.get(slug="acme")
        counts = (Offer.objects.for_org(acme).count(), OfferEvent.objects.count())
        call_command("seed_demo", stdout=out)
    assert set(Offer.objects.for_org(acme).values_list("status", flat=True)) == set(Status.values)
    assert (Offer.objects.for_org(acme).count(), OfferEvent.objects.count()) == counts
    assert not Offer.objects.for_org(Organization.objects.get(slug="globex")).exists()
