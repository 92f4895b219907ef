import html
from datetime import timedelta
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone

from core.models import OutboundEmail
from core.services import outbound_email_bodies
from offers import services
from offers.models import Offer, OfferMember
from offers.transitions import Party, Status

pytestmark = pytest.mark.django_db


def token_of(offer) -> str:
    """The personal token in the offer's latest email as it is sent (the outbox row holds a
    placeholder; the database only the token's nonce and hash)."""
    email = OutboundEmail.objects.filter(reference=f"offer:{offer.pk}", purpose__in=["offer_sent", "offer_joined"]).first()
    return outbound_email_bodies(email)[0].split("/offer/")[1].split("/")[0]


def page_of(client, token):
    return client.get(reverse("offers:recipient", args=[token]))


@pytest.mark.smoke
def test_the_recipient_sees_their_offer_without_logging_in(client, offer_factory):
    offer = offer_factory(recipient_name="Robin Recipient")
    response = page_of(client, token_of(offer))
    page = response.content.decode()
    assert response.status_code == 200 and "Hello Robin Recipient" in page and "$25.00" in page
    assert response["Referrer-Policy"] == "no-referrer"
    assert "no-store" in response["Cache-Control"]


def test_an_unknown_token_is_not_found(client, offer_factory):
    offer_factory()
    assert page_of(client, "x" * 43).status_code == 404
    assert client.get(reverse("offers:link", args=["y" * 43])).status_code == 404


def test_one_recipient_cant_see_another_recipients_offer(client, offer_factory):
    first = offer_factory(recipient_name="First Person", recipient_email="first@example.test")
    offer_factory(recipient_name="Second Person", recipient_email="second@example.test")
    page = page_of(client, token_of(first)).content.decode()
    assert "First Person" in page
    assert "Second Person" not in page and "second@example.test" not in page


@pytest.mark.parametrize("status, says", [(Status.CANCELLED, "This offer was cancelled"), (Status.EXPIRED, "This offer has expired")])
def test_cancelled_and_expired_offers_say_so_with_410(client, offer_in, status, says):
    offer = offer_in(Status.OFFERED)
    token = token_of(offer)
    actor_kind = Party.SYSTEM if status == Status.EXPIRED else Party.PROVIDER
    services.offer_transition(offer=offer, to_status=status, actor_kind=actor_kind)
    response = page_of(client, token)
    assert response.status_code == 410 and says in response.content.decode()
    assert client.post(reverse("offers:recipient_act", args=[token]), {"to_status": "approved"}).status_code == 410


def test_an_offer_past_its_date_is_expired_before_the_beat_job_runs(client, offer_factory):
    offer = offer_factory()
    Offer.objects.filter(pk=offer.pk).update(expires_on=timezone.localdate() - timedelta(days=1))
    assert page_of(client, token_of(offer)).status_code == 410


def test_the_recipient_counters_and_the_provider_sees_it(client, offer_factory):
    offer = offer_factory()
    token = token_of(offer)
    response = client.post(reverse("offers:recipient_act", args=[token]), {"to_status": "counter", "value": "40", "note": "Two visits"})
    assert response.status_code == 302
    offer.refresh_from_db()
    assert offer.status == Status.COUNTER and offer.proposed_display == "$40.00"
    assert OutboundEmail.objects.filter(purpose="offer_recipient_action", to_email="rewards@acme.test").exists()


@pytest.mark.parametrize("data, says, code", [
    ({"to_status": "counter", "value": "lots"}, "is not an amount", 400),
    ({"to_status": "needs_info"}, "Only the provider can move an offer from Offered to Needs Info.", 409),
    ({"to_status": "claimed"}, "An offer can't go from Offered to Claimed.", 409),
    ({"to_status": "bogus"}, "Select a valid choice", 400),
])
def test_bad_recipient_actions_get_a_message_and_change_nothing(client, offer_factory, data, says, code):
    offer = offer_factory()
    response = client.post(reverse("offers:recipient_act", args=[token_of(offer)]), data)
    assert response.status_code == code and says in html.unescape(response.content.decode())
    assert Offer.objects.get(pk=offer.pk).status == Status.OFFERED


def test_recipient_messages_post_by_htmx(client, offer_factory):
    offer = offer_factory()
    url = reverse("offers:recipient_messages", args=[token_of(offer)])
    response = client.post(url, {"body": "Is <b>this</b> real?"}, headers={"HX-Request": "true"})
    page = response.content.decode()
    assert "<html" not in page and "Is &lt;b&gt;this&lt;/b&gt; real?" in page
    assert offer.messages.get().sender_kind == Party.RECIPIENT


@mock.patch("core.ratelimit.time.time", return_value=1_800_000_000.0)  # inside one window, whatever the clock
def test_public_pages_are_rate_limited_per_client(_clock, client, offer_factory):
    token = token_of(offer_factory())
    codes = [page_of(client, token).status_code for _ in range(62)]
    assert codes[:60] == [200] * 60 and codes[-1] == 429
    # Another address is counted apart.
    assert client.get(reverse("offers:recipient", args=[token]), REMOTE_ADDR="10.0.0.9").status_code == 200


def test_a_visitor_joins_a_shared_link_and_lands_on_their_own_page(client, offer_factory):
    offer = offer_factory(delivery=Offer.Delivery.LINK, is_group=True, max_members=2)
    url = reverse("offers:link", args=[offer.link_token])
    landing = client.get(url)
    assert landing.status_code == 200 and landing["Referrer-Policy"] == "no-referrer" and "Join this group offer" in landing.content.decode()
    response = client.post(url, {"name": "Ann", "email": "ann@example.test"})
    member = OfferMember.objects.get()
    assert response.status_code == 302 and services.token_hash(response["Location"].split("/")[2]) == member.token_hash
    assert "1 of 2 joined" in client.get(response["Location"]).content.decode()


def test_a_member_who_left_sees_no_actions_and_is_refused(client, offer_factory):
    offer = offer_factory(delivery=Offer.Delivery.LINK, is_group=True, max_members=3)
    _, token = services.offer_join(offer=offer, name="Ann", email="ann@example.test")
    assert client.post(reverse("offers:recipient_leave", args=[token])).status_code == 302
    page = page_of(client, token).content.decode()
    assert "Your place in the group: Declined" in page and 'name="to_status"' not in page
    response = client.post(reverse("offers:recipient_act", args=[token]), {"to_status": "rejected"})
    assert response.status_code == 409 and "declined this offer" in response.content.decode()
    offer.refresh_from_db()
    assert offer.status == Status.OFFERED


def test_a_full_group_link_takes_nobody_else(client, offer_factory):
    offer = offer_factory(delivery=Offer.Delivery.LINK, is_group=True, max_members=1)
    services.offer_join(offer=offer, name="Ann", email="ann@example.test")
    url = reverse("offers:link", args=[offer.link_token])
    assert "This group is full." in client.get(url).content.decode()
    response = client.post(url, {"name": "Bo", "email": "bo@example.test"})
    assert response.status_code == 409 and "This group is full." in response.content.decode()
    assert offer.members.count() == 1


def test_a_draft_link_is_not_found(client, offer_factory):
    offer = offer_factory(delivery=Offer.Delivery.LINK, send=False)
    assert client.get(reverse("offers:link", args=[offer.link_token])).status_code == 404


# --- The acknowledgement widget ---------------------------------------------------------


def acknowledged(offer_in, *, name, words):
    offer = offer_in(Status.COMPLETED, recipient_name="Robin Secret", recipient_email="robin.secret@example.test")
    return services.offer_transition(
        offer=offer, to_status=Status.ACKNOWLEDGED, actor_kind=Party.RECIPIENT, member=offer.members.get(),
        note=words, acknowledgement_name=name,
    )


@pytest.mark.smoke
def test_the_widget_escapes_recipient_text_and_leaks_no_email(client, offer_in):
    offer = acknowledged(offer_in, name="<img src=x onerror=alert(1)>", words='Great! <script>alert("x")</script>')
    response = client.get(reverse("offers:widget_frame", args=[offer.widget_token]))
    page = response.content.decode()
    assert response.status_code == 200
    assert "<script>" not in page and "&lt;script&gt;alert" in page and "<img" not in page
    assert "@" not in page.replace("@example", "") and "example.test" not in page
    assert f"offer/{offer.pk}" not in page and "Acme Rewards" in page


def test_the_widget_may_be_framed_anywhere_and_cached(client, offer_in):
    offer = acknowledged(offer_in, name="Robin", words="Thanks")
    response = client.get(reverse("offers:widget_frame", args=[offer.widget_token]))
    assert "X-Frame-Options" not in response
    csp = response["Content-Security-Policy"]
    assert "frame-ancestors *" in csp and "script-src 'self';" in csp + ";" and "default-src 'none'" in csp
    assert "unsafe-inline" not in csp and "nonce-" not in csp  # only the static height reporter runs
    assert "public" in response["Cache-Control"] and "max-age=300" in response["Cache-Control"]
    assert response["Referrer-Policy"] == "no-referrer"


def test_the_widget_script_inserts_the_frame(client, offer_in):
    offer = acknowledged(offer_in, name="Robin", words="Thanks")
    response = client.get(reverse("offers:widget_script", args=[offer.widget_token]))
    body = response.content.decode().encode().decode("unicode_escape")  # undo escapejs
    assert response["Content-Type"].startswith("text/javascript")
    assert reverse("offers:widget_frame", args=[offer.widget_token]) in body and "example.test" not in body
    assert "public" in response["Cache-Control"]


def test_there_is_no_widget_before_the_acknowledgement(client, offer_in):
    offer = offer_in(Status.COMPLETED)
    assert offer.widget_token == "" and offer.widget_hash is None
    assert client.get(reverse("offers:widget_frame", args=["z" * 43])).status_code == 404


def test_recipient_forms_work_without_a_csrf_cookie_since_the_token_authorises_them(offer_factory):
    from django.test import Client

    offer = offer_factory()
    strict = Client(enforce_csrf_checks=True)
    response = strict.post(reverse("offers:recipient_act", args=[token_of(offer)]), {"to_status": "approved"}, HTTP_ORIGIN="null")
    assert response.status_code == 302 and Offer.objects.get(pk=offer.pk).status == Status.APPROVED
