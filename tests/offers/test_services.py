from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from core.models import OutboundEmail
from core.money import Money
from offers import services, tasks
from offers.models import Distribution, Message, Offer, OfferMember
from core.errors import DomainError
from offers.transitions import Party, Status

pytestmark = pytest.mark.django_db


def test_sending_an_email_offer_emails_a_personal_link_and_keeps_only_its_hash(offer_factory, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        offer = offer_factory()
    member = offer.members.get()
    email = OutboundEmail.objects.get(reference=f"offer:{offer.pk}", purpose="offer_sent")
    token = mail.outbox[0].body.split("/offer/")[1].split("/")[0]
    assert "/offer/" not in email.text_body + email.html_body and email.secret_link == f"offer-member:{member.pk}"
    assert member.token_hash == services.token_hash(token) and token not in member.token_hash + member.token_nonce
    assert services.offer_member_by_token(token) == member
    assert email.to_email == offer.recipient_email and email.from_name == "Acme Rewards"


def test_a_draft_sends_nothing(offer_factory):
    offer = offer_factory(send=False)
    assert offer.status == Status.DRAFT and not offer.members.exists()
    assert not OutboundEmail.objects.filter(reference=f"offer:{offer.pk}").exists()


@pytest.mark.smoke
def test_a_group_refuses_the_member_beyond_its_maximum(offer_factory):
    offer = offer_factory(delivery=Offer.Delivery.LINK, is_group=True, max_members=2)
    services.offer_join(offer=offer, name="Ann", email="ann@example.test")
    services.offer_join(offer=offer, name="Bo", email="bo@example.test")
    with pytest.raises(DomainError, match="This group is full"):
        services.offer_join(offer=offer, name="Cy", email="cy@example.test")
    assert offer.members.count() == 2


def test_a_member_who_leaves_frees_a_place(offer_factory):
    offer = offer_factory(delivery=Offer.Delivery.LINK, is_group=True, max_members=2)
    ann, _ = services.offer_join(offer=offer, name="Ann", email="ann@example.test")
    services.offer_join(offer=offer, name="Bo", email="bo@example.test")
    services.offer_member_leave(member=ann)
    services.offer_join(offer=offer, name="Cy", email="cy@example.test")
    assert offer.members.exclude(status=OfferMember.Status.DECLINED).count() == 2


def test_a_member_who_left_the_group_can_no_longer_answer_for_it(offer_factory):
    offer = offer_factory(delivery=Offer.Delivery.LINK, is_group=True, max_members=3)
    ann, _ = services.offer_join(offer=offer, name="Ann", email="ann@example.test")
    services.offer_join(offer=offer, name="Bo", email="bo@example.test")
    services.offer_member_leave(member=ann)
    ann.refresh_from_db()
    with pytest.raises(DomainError, match="declined this offer"):
        services.offer_transition(offer=offer, to_status=Status.REJECTED, actor_kind=Party.RECIPIENT, member=ann)
    offer.refresh_from_db()
    assert offer.status == Status.OFFERED and not offer.events.filter(to_status=Status.REJECTED).exists()


def test_a_single_link_takes_one_recipient_who_becomes_the_offers_recipient(offer_factory):
    offer = offer_factory(delivery=Offer.Delivery.LINK)
    services.offer_join(offer=offer, name="Ann Lee", email="Ann@Example.test")
    with pytest.raises(DomainError, match="used by someone else"):
        services.offer_join(offer=offer, name="Bo", email="bo@example.test")
    offer.refresh_from_db()
    assert (offer.recipient_name, offer.recipient_email) == ("Ann Lee", "ann@example.test")


def test_joining_twice_with_one_email_is_refused(offer_factory):
    offer = offer_factory(delivery=Offer.Delivery.LINK, is_group=True, max_members=3)
    services.offer_join(offer=offer, name="Ann", email="ann@example.test")
    with pytest.raises(DomainError, match="joined this offer already"):
        services.offer_join(offer=offer, name="Ann again", email="ANN@example.test")


def test_a_draft_or_expired_link_takes_nobody(offer_factory):
    draft = offer_factory(delivery=Offer.Delivery.LINK, send=False)
    with pytest.raises(DomainError, match="Draft"):
        services.offer_join(offer=draft, name="Ann", email="ann@example.test")
    old = offer_factory(delivery=Offer.Delivery.LINK)
    Offer.objects.filter(pk=old.pk).update(expires_on=timezone.localdate() - timedelta(days=1))
    old.refresh_from_db()
    with pytest.raises(DomainError, match="expired"):
        services.offer_join(offer=old, name="Ann", email="ann@example.test")


def test_group_members_claim_one_by_one_after_the_first_claim(offer_factory, owner):
    offer = offer_factory(delivery=Offer.Delivery.LINK, is_group=True, max_members=3)
    ann, _ = services.offer_join(offer=offer, name="Ann", email="ann@example.test")
    bo, _ = services.offer_join(offer=offer, name="Bo", email="bo@example.test")
    services.offer_transition(offer=offer, to_status=Status.APPROVED, actor_kind=Party.RECIPIENT, member=ann)
    ann.refresh_from_db()
    services.offer_member_claim(member=ann)
    bo.refresh_from_db()
    services.offer_member_claim(member=bo)
    offer.refresh_from_db()
    assert offer.status == Status.PRE_CLAIMED
    assert set(offer.members.values_list("status", flat=True)) == {OfferMember.Status.CLAIMED}


def test_recipients_are_refused_once_the_expiry_date_passes(offer_factory):
    offer = offer_factory()
    Offer.objects.filter(pk=offer.pk).update(expires_on=timezone.localdate() - timedelta(days=1))
    offer.refresh_from_db()
    with pytest.raises(DomainError, match="expired on"):
        services.offer_transition(offer=offer, to_status=Status.APPROVED, actor_kind=Party.RECIPIENT, member=offer.members.get())


def test_percentage_offers_take_percentage_counters(offer_factory):
    offer = offer_factory(incentive_type="discount", value=Decimal("10"))
    member = offer.members.get()
    with pytest.raises(DomainError, match="propose a percentage"):
        services.offer_transition(offer=offer, to_status=Status.COUNTER, actor_kind=Party.RECIPIENT, member=member, terms=Money(100, "USD"))
    services.offer_transition(offer=offer, to_status=Status.COUNTER, actor_kind=Party.RECIPIENT, member=member, terms=Decimal("20"))
    assert offer.proposed_display == "20%"


def test_a_recipients_message_emails_the_provider(offer_factory):
    offer = offer_factory()
    services.message_post(offer=offer, body="Can I get it as credit?", member=offer.members.get())
    email = OutboundEmail.objects.get(purpose="offer_message")
    assert email.to_email == "rewards@acme.test" and "Can I get it as credit?" in email.text_body


def test_a_provider_message_can_change_the_status_in_one_step(offer_factory, owner):
    offer = offer_factory()
    services.message_post(offer=offer, body="Please send your shipping address.", user=owner, to_status=Status.NEEDS_INFO)
    offer.refresh_from_db()
    assert offer.status == Status.NEEDS_INFO
    assert offer.events.last().note == "Please send your shipping address."


def test_a_message_with_a_refused_status_change_is_not_kept(offer_factory, owner):
    offer = offer_factory()
    with pytest.raises(DomainError):
        services.message_post(offer=offer, body="Done!", user=owner, to_status=Status.COMPLETED)
    assert not Message.objects.exists()


def test_an_empty_message_is_refused(offer_factory, owner):
    with pytest.raises(DomainError, match="Write a message"):
        services.message_post(offer=offer_factory(), body="   ", user=owner)


def test_distributions_are_recorded_after_the_claim_is_confirmed(offer_in, owner):
    offer = offer_in(Status.CLAIMED)
    services.distribution_record(offer=offer, actor=owner, amount=Money(2500, "USD"), distributed_on=timezone.localdate(), method="gift_card")
    assert Distribution.objects.get().amount == Money(2500, "USD")


@pytest.mark.parametrize("status, amount, message", [
    (Status.APPROVED, Money(100, "USD"), "once its claim is confirmed"),
    (Status.CLAIMED, Money(100, "EUR"), "in USD"),
])
def test_distributions_refuse_bad_input_and_record_nothing(offer_in, owner, status, amount, message):
    offer = offer_in(status)
    with pytest.raises(DomainError, match=message):
        services.distribution_record(offer=offer, actor=owner, amount=amount, distributed_on=timezone.localdate(), method="other")
    assert not Distribution.objects.exists()


def test_a_distribution_dated_before_the_offer_was_made_is_refused_for_every_caller(offer_in, owner):
    offer = offer_in(Status.CLAIMED)
    made = timezone.localdate(offer.created_at)
    with pytest.raises(DomainError, match=f"before the offer was made: {made:%Y-%m-%d} at the earliest"):
        services.distribution_record(offer=offer, actor=owner, amount=Money(100, "USD"), distributed_on=made - timedelta(days=1), method="other")
    assert not Distribution.objects.exists()
    services.distribution_record(offer=offer, actor=owner, amount=Money(100, "USD"), distributed_on=made, method="other")
    assert Distribution.objects.count() == 1


def test_beat_expires_open_offers_past_their_date_only(offer_in):
    late = offer_in(Status.COUNTER)
    on_time = offer_in(Status.OFFERED)
    claimed = offer_in(Status.PRE_CLAIMED)
    Offer.objects.filter(pk__in=[late.pk, claimed.pk]).update(expires_on=timezone.localdate() - timedelta(days=1))
    assert tasks.offers_expire.delay().get() == 1
    statuses = dict(Offer.objects.values_list("pk", "status"))
    assert statuses == {late.pk: Status.EXPIRED, on_time.pk: Status.OFFERED, claimed.pk: Status.PRE_CLAIMED}
    assert late.events.last().actor_kind == Party.SYSTEM


def test_beat_marks_no_response_after_the_providers_period(offer_in, provider):
    provider.no_response_after_days = 7
    provider.save()
    quiet = offer_in(Status.OFFERED)
    recent = offer_in(Status.NEEDS_INFO)
    waiting_on_provider = offer_in(Status.COUNTER)
    Offer.objects.filter(pk__in=[quiet.pk, waiting_on_provider.pk]).update(last_activity_at=timezone.now() - timedelta(days=8))
    Offer.objects.filter(pk=recent.pk).update(last_activity_at=timezone.now() - timedelta(days=6))
    assert tasks.offers_mark_no_response.delay().get() == 1
    assert Offer.objects.get(pk=quiet.pk).status == Status.NO_RESPONSE
    assert Offer.objects.get(pk=recent.pk).status == Status.NEEDS_INFO
    assert Offer.objects.get(pk=waiting_on_provider.pk).status == Status.COUNTER


def test_editing_a_link_offer_stops_once_someone_joins(offer_factory, owner):
    offer = offer_factory(delivery=Offer.Delivery.LINK)
    services.offer_update(offer=offer, actor=owner, value=Money(3000, "USD"), message="Better")
    services.offer_join(offer=offer, name="Ann", email="ann@example.test")
    with pytest.raises(DomainError, match="joined through this link"):
        services.offer_update(offer=offer, actor=owner, value=Money(1, "USD"))
    assert Offer.objects.get(pk=offer.pk).amount_minor == 3000
