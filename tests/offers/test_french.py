"""Issue 16.7 (part B): offer recipients get their emails, and their pages, in their language."""

import pytest
from django.urls import reverse
from django.utils import translation

from core.models import OutboundEmail
from offers import services
from offers.models import Offer, OfferMember
from offers.transitions import Party, Status

from ..incentives.french import french  # noqa: F401  (the fixture)
from .test_public import page_of, token_of

pytestmark = pytest.mark.django_db
FRENCH_BROWSER = {"HTTP_ACCEPT_LANGUAGE": "fr-FR,fr;q=0.9"}


def test_opening_the_offer_page_records_the_browser_language_and_shows_it_in_french(french, client, offer_factory):
    offer = offer_factory()
    token = token_of(offer)
    with translation.override("fr"):
        page = client.get(reverse("offers:recipient", args=[token]), **FRENCH_BROWSER).content.decode()
    assert "Votre offre de Acme Rewards" in page and "Que souhaitez-vous faire" in page and "Accepter" in page
    assert offer.members.get().language == "fr"
    page_of(client, token)  # no Accept-Language: the language known is kept
    assert offer.members.get().language == "fr"


def test_a_member_whose_language_is_french_gets_the_update_email_in_french(french, offer_factory, owner):
    offer = offer_factory()
    OfferMember.objects.filter(offer=offer).update(language="fr")
    services.offer_transition(offer=offer, to_status=Status.NEEDS_INFO, actor_kind=Party.PROVIDER, actor=owner, note="Votre numéro ?")
    email = OutboundEmail.objects.get(reference=f"offer:{offer.pk}", purpose="offer_update")
    assert email.subject.startswith(f"Offre n° {offer.pk}") and "Acme Rewards a besoin de plus d’informations" in email.subject
    assert "Bonjour Robin Recipient," in email.text_body and "Infos demandées" in email.text_body
    assert "Votre numéro ?" in email.text_body and "Hello" not in email.text_body


def test_a_member_without_a_language_gets_the_update_email_in_the_default_language(offer_factory, owner):
    offer = offer_factory()
    services.offer_transition(offer=offer, to_status=Status.NEEDS_INFO, actor_kind=Party.PROVIDER, actor=owner)
    email = OutboundEmail.objects.get(reference=f"offer:{offer.pk}", purpose="offer_update")
    assert email.subject == f"Offer #{offer.pk}: Acme Rewards needs more information from you."


def test_joining_a_shared_link_from_a_french_browser_sends_the_link_in_french(french, client, offer_factory):
    offer = offer_factory(delivery=Offer.Delivery.LINK, is_group=True, max_members=2)
    with translation.override("fr"):
        response = client.post(reverse("offers:link", args=[offer.link_token]), {"name": "Ann", "email": "ann@example.test"}, **FRENCH_BROWSER)
    assert response.status_code == 302 and OfferMember.objects.get().language == "fr"
    email = OutboundEmail.objects.get(reference=f"offer:{offer.pk}", purpose="offer_joined")
    assert email.subject.startswith("Acme Rewards vous propose ") and email.subject.endswith("(Carte cadeau)")
    assert "Bonjour Ann," in email.text_body and "L’offre expire le" in email.text_body
