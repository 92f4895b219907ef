"""Issue 15.2-4, 15.6 and 15.9: the recipient reads the provider's notes, the status changes
in the thread, where they stand, what is theirs in a group, and one provider name."""

import html

import pytest
from django.urls import reverse

from core.money import Money
from offers import selectors, services
from offers.models import Offer
from offers.transitions import Party, Status

pytestmark = pytest.mark.django_db


def page(client, member):
    return html.unescape(client.get(reverse("offers:recipient", args=[member.token])).content.decode())


def provider_move(offer, to_status, owner, **kwargs):
    return services.offer_transition(offer=offer, to_status=to_status, actor_kind=Party.PROVIDER, actor=owner, **kwargs)


def recipient_move(offer, to_status, member, **kwargs):
    return services.offer_transition(offer=offer, to_status=to_status, actor_kind=Party.RECIPIENT, member=member, **kwargs)


def group_of(offer_factory, names=("Kim", "Max", "Noa")):
    offer = offer_factory(delivery=Offer.Delivery.LINK, is_group=True, max_members=len(names), value=Money(1000, "USD"))
    members = [services.offer_join(offer=offer, name=n, email=f"{n.lower()}@example.test")[0] for n in names]
    offer.refresh_from_db()
    return offer, members


def test_a_revision_note_reaches_the_recipient_page_and_the_thread(client, offer_in, owner):
    offer = offer_in(Status.PRE_CLAIMED)
    provider_move(offer, Status.REQUIRES_REVISION, owner, note="Please confirm your address")
    text = page(client, offer.members.get())
    assert 'id="provider-note"' in text and text.count("Please confirm your address") == 2  # the note, the thread
    assert "asks you to revise your claim and resubmit it" in text


def test_a_cancellation_note_is_on_the_closed_page(client, offer_in, owner):
    offer = offer_in(Status.APPROVED)
    provider_move(offer, Status.CANCELLED, owner, note="The budget was withdrawn, sorry.")
    response = client.get(reverse("offers:recipient", args=[offer.members.get().token]))
    assert response.status_code == 410 and "The budget was withdrawn, sorry." in response.content.decode()


def test_status_changes_are_events_in_both_sides_threads(client, client_for, owner, offer_in):
    offer = offer_in(Status.OFFERED)
    provider_move(offer, Status.NEEDS_INFO, owner, note="Your shoe size?")
    member = offer.members.get()
    recipient_move(offer, Status.INFO_PROVIDED, member, note="44")
    for text in (page(client, member), client_for(owner).get(reverse("offers:messages", args=[offer.pk])).content.decode()):
        assert text.count('class="event ') >= 3  # sent, needs info, info provided
        assert "Needs Info</span>" in text and "Your shoe size?" in text and "Info Provided</span>" in text
        assert f"<strong>{member.name}</strong>" in text


@pytest.mark.parametrize("status, says", [
    (Status.INFO_PROVIDED, "You sent the information. Waiting for Acme Rewards to decide."),
    (Status.PRE_CLAIMED, "Waiting for Acme Rewards to confirm your claim."),
    (Status.COUNTER, "You proposed $35.00. Waiting for Acme Rewards to answer."),
    (Status.CLAIMED, "Acme Rewards confirmed your claim and will send you $25.00."),
])
def test_the_recipient_reads_where_they_stand_after_each_step(client, offer_in, status, says):
    offer = offer_in(status)
    assert says in page(client, offer.members.get())


def test_every_status_a_recipient_can_see_has_a_sentence():
    assert set(selectors.STANDING) == set(Status) - {Status.DRAFT}


def test_a_recipient_who_rejected_is_told_so(client, offer_in):
    offer = offer_in(Status.OFFERED)
    member = offer.members.get()
    recipient_move(offer, Status.REJECTED, member)
    assert "You rejected this offer" in page(client, member)


def test_an_acknowledgement_shows_the_words_they_wrote(client, offer_in):
    offer = offer_in(Status.ACKNOWLEDGED)
    text = page(client, offer.members.get())
    assert "You acknowledged this offer." in text and "Thanks a lot, this made my week!" in text


def test_recipient_pages_and_emails_name_the_provider_by_its_display_name(client, offer_factory):
    offer = offer_factory()
    text = page(client, offer.members.get())
    assert "Your offer from Acme Rewards" in text and "Acme Research" not in text
    link = offer_factory(delivery=Offer.Delivery.LINK)
    assert "An offer from Acme Rewards" in client.get(reverse("offers:link", args=[link.link_token])).content.decode()


def test_a_members_counter_is_theirs_not_every_members(client, offer_factory):
    offer, (kim, max_, _noa) = group_of(offer_factory)
    recipient_move(offer, Status.COUNTER, kim, terms=Money(1200, "USD"))
    assert "You proposed $12.00" in page(client, kim)
    max_page = page(client, max_)
    assert "You proposed" not in max_page and "Kim proposed $12.00" in max_page


def test_each_member_has_a_private_thread_and_the_provider_can_write_to_everyone(client, client_for, owner, offer_factory):
    offer, (kim, max_, _noa) = group_of(offer_factory)
    services.message_post(offer=offer, body="Kim's private question", member=kim)
    provider = client_for(owner)
    url = reverse("offers:messages", args=[offer.pk])
    provider.post(url, {"body": "Just for Kim", "to_member": kim.pk})
    provider.post(url, {"body": "Hello all of you", "to_member": ""})
    kim_page, max_page = page(client, kim), page(client, max_)
    assert "Kim's private question" in kim_page and "Kim's private question" not in max_page
    assert "Just for Kim" in kim_page and "Just for Kim" not in max_page
    assert "Hello all of you" in kim_page and "Hello all of you" in max_page
    assert "to everyone in the group" in max_page
    provider_page = html.unescape(provider.get(url).content.decode())
    assert all(t in provider_page for t in ("Kim's private question", "Just for Kim", "Hello all of you"))


def test_a_group_link_after_a_member_left_and_the_offer_moved_on_says_one_thing(client, offer_factory):
    offer, (kim, _max, noa) = group_of(offer_factory)
    services.offer_member_leave(member=noa)
    recipient_move(offer, Status.APPROVED, kim)
    kim.refresh_from_db()
    services.offer_member_claim(member=kim)  # Pre Claimed: the group takes nobody new
    text = html.unescape(client.get(reverse("offers:link", args=[offer.link_token])).content.decode())
    assert "2 of 3 joined" in text and "This group offer is Pre Claimed: it takes no new members." in text
    assert "This group is full" not in text


def test_the_person_who_took_a_single_link_is_recognised_when_they_reopen_it(client, client_for, owner, offer_factory):
    offer = offer_factory(delivery=Offer.Delivery.LINK)
    url = reverse("offers:link", args=[offer.link_token])
    joined = client.post(url, {"name": "Ann", "email": "ann@example.test"})
    member = offer.members.get()
    assert joined["Location"] == reverse("offers:recipient", args=[member.token])
    again = client.get(url)
    assert again.status_code == 302 and again["Location"] == joined["Location"]
    from django.test import Client
    stranger = Client().get(url).content.decode()
    assert "taken by someone else" in stranger
    detail = client_for(owner).get(reverse("offers:detail", args=[offer.pk])).content.decode()
    assert "Copy Link and Share" not in detail and "Taken by Ann" in detail


def test_a_forged_taker_cookie_is_ignored(client, offer_factory):
    offer = offer_factory(delivery=Offer.Delivery.LINK)
    url = reverse("offers:link", args=[offer.link_token])
    Client = type(client)
    Client().post(url, {"name": "Ann", "email": "ann@example.test"})
    client.cookies[f"offer_link_{offer.pk}"] = str(offer.members.get().pk)
    assert client.get(url).status_code == 200


def test_an_offered_again_link_says_it_was_replaced(client, offer_in, owner):
    offer = offer_in(Status.NO_RESPONSE)
    old = offer.members.get().token
    provider_move(offer, Status.OFFERED, owner)
    response = client.get(reverse("offers:recipient", args=[old]))
    assert response.status_code == 410 and "This link was replaced" in response.content.decode()
    assert client.get(reverse("offers:recipient", args=[offer.members.get().token])).status_code == 200


def test_the_offer_pages_say_when_it_expires_and_when_it_counts_as_no_response(client, client_for, owner, offer_in):
    from datetime import timedelta
    from django.utils import timezone
    offer = offer_in(Status.OFFERED)
    no_response = timezone.localdate(offer.last_activity_at + timedelta(days=14))
    detail = client_for(owner).get(reverse("offers:detail", args=[offer.pk])).content.decode()
    assert f"Expires on {offer.expires_on:%Y-%m-%d}" in detail and f"No Response on {no_response:%Y-%m-%d}" in detail
    assert f"Answer by {no_response:%B %-d, %Y}" in page(client, offer.members.get())


def test_the_provider_extends_an_open_offers_expiry_and_the_recipient_is_told(client_for, owner, offer_in):
    from datetime import timedelta
    from core.models import OutboundEmail
    offer = offer_in(Status.OFFERED)
    later = offer.expires_on + timedelta(days=30)
    client = client_for(owner)
    client.post(reverse("offers:extend_expiry", args=[offer.pk]), {"expires_on": later.isoformat()})
    offer.refresh_from_db()
    assert offer.expires_on == later and offer.events.filter(note__startswith="Expiry extended").exists()
    assert OutboundEmail.objects.filter(purpose="offer_update", subject__contains="extended your offer").count() == 1
    response = client.post(reverse("offers:extend_expiry", args=[offer.pk]), {"expires_on": "2020-01-01"}, follow=True)
    assert "Choose a date after" in response.content.decode()
    offer.refresh_from_db()
    assert offer.expires_on == later


def test_the_thread_takes_as_many_queries_for_a_long_timeline_as_for_a_short_one(client, client_for, owner, offer_factory):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    offer, (kim, max_, _noa) = group_of(offer_factory)
    provider = client_for(owner)
    url = reverse("offers:messages", args=[offer.pk])
    with CaptureQueriesContext(connection) as few:
        provider.get(url)
    for member in (kim, max_):
        services.message_post(offer=offer, body="A question", member=member)
        services.message_post(offer=offer, body="An answer", user=owner, to_member=member)
    services.message_post(offer=offer, body="Tell me", user=owner, to_status=Status.NEEDS_INFO)
    with CaptureQueriesContext(connection) as many:
        page = provider.get(url).content.decode()
    assert len(many) == len(few) and page.count("A question") == 2 and "Needs Info</span>" in page
