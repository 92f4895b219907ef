"""Issue 15.1: whoever an offer's step concerns is told, through the outbox, once."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from core.errors import DomainError
from core.models import OutboundEmail
from core.money import Money
from core.services import outbound_email_bodies
from offers import notifications, services
from offers.models import Offer, ProviderProfile
from offers.transitions import Party, Status

pytestmark = pytest.mark.django_db


def updates(offer, **filters):
    return OutboundEmail.objects.filter(
        reference=f"offer:{offer.pk}", purpose__in=["offer_update", "offer_message_to_recipient"], **filters
    )


def provider_move(offer, to_status, owner, **kwargs):
    return services.offer_transition(offer=offer, to_status=to_status, actor_kind=Party.PROVIDER, actor=owner, **kwargs)


def group_of(offer_factory, names=("Kim", "Max", "Noa")):
    offer = offer_factory(delivery=Offer.Delivery.LINK, is_group=True, max_members=len(names))
    members = [services.offer_join(offer=offer, name=n, email=f"{n.lower()}@example.test")[0] for n in names]
    offer.refresh_from_db()
    return offer, members


@pytest.mark.parametrize("source, target", [
    (Status.OFFERED, Status.NEEDS_INFO), (Status.INFO_PROVIDED, Status.PARTIAL_GRANTED),
    (Status.PRE_CLAIMED, Status.REQUIRES_REVISION), (Status.PRE_CLAIMED, Status.CLAIMED),
    (Status.CLAIMED, Status.COMPLETED), (Status.APPROVED, Status.CANCELLED),
])
def test_every_provider_step_emails_the_recipient_their_personal_link_with_the_note(offer_in, owner, source, target):
    offer = offer_in(source)
    member = offer.members.get()
    before = updates(offer).count()
    terms = Money(1000, "USD") if target == Status.PARTIAL_GRANTED else None
    provider_move(offer, target, owner, note="Please confirm your address", terms=terms)
    email = updates(offer).latest("pk")
    assert updates(offer).count() == before + 1 and email.to_email == member.email
    assert email.secret_link == f"offer-member:{member.pk}" and email.from_name == "Acme Rewards"
    text = outbound_email_bodies(email)[0]
    assert "Please confirm your address" in text and f"/offer/{member.token}/" in text


def test_a_repeated_step_is_refused_and_tells_nobody_twice(offer_in, owner):
    offer = offer_in(Status.OFFERED)
    provider_move(offer, Status.NEEDS_INFO, owner)
    stale = Offer.objects.get(pk=offer.pk)
    stale.status = Status.OFFERED  # the page the second click came from
    with pytest.raises(DomainError):
        provider_move(stale, Status.NEEDS_INFO, owner)
    assert updates(offer).count() == 1


def test_a_provider_message_is_emailed_to_the_recipient(offer_in, owner):
    offer = offer_in(Status.OFFERED)
    services.message_post(offer=offer, body="Which store do you prefer?", user=owner)
    email = updates(offer, purpose="offer_message_to_recipient").get()
    assert "Which store do you prefer?" in email.text_body and email.to_email == offer.recipient_email


def test_a_message_that_changes_the_status_is_one_email(offer_in, owner):
    offer = offer_in(Status.OFFERED)
    services.message_post(offer=offer, body="Your address, please", user=owner, to_status=Status.NEEDS_INFO)
    assert updates(offer).count() == 1 and "Your address, please" in updates(offer).get().text_body


def test_a_group_step_emails_every_member_but_those_who_left(offer_factory, owner):
    offer, (kim, max_, noa) = group_of(offer_factory)
    services.offer_member_leave(member=noa)
    provider_move(offer, Status.NEEDS_INFO, owner)
    assert sorted(updates(offer).values_list("to_email", flat=True)) == ["kim@example.test", "max@example.test"]
    assert {e.secret_link for e in updates(offer)} == {f"offer-member:{kim.pk}", f"offer-member:{max_.pk}"}


def test_a_members_counter_tells_the_other_members_and_the_provider(offer_factory):
    offer, (kim, *_others) = group_of(offer_factory)
    services.offer_transition(offer=offer, to_status=Status.COUNTER, actor_kind=Party.RECIPIENT, member=kim,
                              terms=Money(3000, "USD"))
    told = updates(offer)
    assert sorted(told.values_list("to_email", flat=True)) == ["max@example.test", "noa@example.test"]
    assert all("Kim proposed $30.00" in e.subject for e in told)
    assert OutboundEmail.objects.filter(purpose="offer_recipient_action", to_email="rewards@acme.test").count() == 1


def test_the_system_expiring_an_offer_tells_the_recipient(offer_in):
    offer = offer_in(Status.OFFERED)
    Offer.objects.filter(pk=offer.pk).update(expires_on=timezone.localdate() - timedelta(days=1))
    services.offers_expire()
    assert "expired" in updates(offer).get().subject


def test_an_unsubscribed_member_gets_only_what_needs_them(client, offer_in, owner):
    offer = offer_in(Status.PRE_CLAIMED)
    member = offer.members.get()
    url = reverse("offers:recipient_updates", args=[member.token])
    assert "Stop updates" in client.get(url).content.decode()
    member.refresh_from_db()
    assert member.updates_unsubscribed_at is None  # a GET (a mail scanner) changes nothing
    assert "no longer get updates" in client.post(url).content.decode()
    provider_move(offer, Status.REQUIRES_REVISION, owner)  # they must act: told
    services.offer_transition(offer=offer, to_status=Status.PRE_CLAIMED, actor_kind=Party.RECIPIENT, member=member)
    provider_move(offer, Status.CLAIMED, owner)  # nothing to do: not told
    assert [e.subject for e in updates(offer)] == [f"Offer #{offer.pk}: Acme Rewards asks you to revise and resubmit your claim."]
    client.post(url, {"updates": "on"})
    provider_move(offer, Status.COMPLETED, owner)
    assert updates(offer).count() == 2


def test_update_emails_carry_the_updates_link_put_in_at_delivery_only(client, offer_in, owner):
    offer = offer_in(Status.PRE_CLAIMED)
    provider_move(offer, Status.CLAIMED, owner)
    email = updates(offer).get()
    member = offer.members.get()
    link = reverse("offers:recipient_updates", args=[member.token])
    assert link not in email.text_body + email.html_body  # the outbox keeps a placeholder
    assert link in outbound_email_bodies(email)[0] and link in outbound_email_bodies(email)[1]
    assert client.get(reverse("offers:recipient_updates", args=[member.token[:-2] + "xx"])).status_code == 404


def test_a_provider_on_the_digest_gets_one_email_a_day_of_what_recipients_did(offer_in, provider):
    ProviderProfile.objects.filter(pk=provider.pk).update(notify=ProviderProfile.Notify.DIGEST)
    offer = offer_in(Status.OFFERED)
    member = offer.members.get()
    services.offer_transition(offer=offer, to_status=Status.APPROVED, actor_kind=Party.RECIPIENT, member=member)
    services.message_post(offer=offer, body="Thanks!", member=member)
    to_provider = OutboundEmail.objects.filter(to_email="rewards@acme.test")
    assert not to_provider.exists()
    tomorrow = timezone.now() + timedelta(days=1, minutes=1)
    assert notifications.provider_digests(now=tomorrow) == 1
    assert notifications.provider_digests(now=tomorrow + timedelta(hours=1)) == 0  # one a day
    digest = to_provider.get(purpose="offer_provider_digest")
    assert "Robin Recipient → Approved" in digest.text_body and "message from Robin Recipient: Thanks!" in digest.text_body


def test_the_provider_hears_when_a_member_claims_their_share_or_leaves(offer_factory):
    offer, (kim, max_, noa) = group_of(offer_factory)
    services.offer_transition(offer=offer, to_status=Status.APPROVED, actor_kind=Party.RECIPIENT, member=kim)
    kim.refresh_from_db()
    services.offer_member_claim(member=kim)
    max_.refresh_from_db()
    services.offer_member_claim(member=max_)
    noa.refresh_from_db()
    services.offer_member_leave(member=noa)
    subjects = list(OutboundEmail.objects.filter(to_email="rewards@acme.test").values_list("subject", flat=True))
    assert any("Max claimed their share" in s for s in subjects) and any("Noa left the group" in s for s in subjects)
