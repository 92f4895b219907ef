import csv
import html
import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.money import Money
from offers import services
from offers.models import IncentiveProgram, LinkTemplate, Offer, ProviderProfile
from offers.selectors import offer_menu
from offers.transitions import EXPIRABLE, Status

from .conftest import make_offer

pytestmark = pytest.mark.django_db
LIST = reverse("offers:list")


def text(response) -> str:
    return html.unescape(response.content.decode())


def offer_form(**overrides):
    data = {
        "entity_type": "person", "stage": "lead", "incentive_type": "gift_card", "currency": "USD", "value": "25.00",
        "delivery": "email", "recipient_name": "Robin", "recipient_email": "robin@example.test", "message": "Hi",
        "expires_on": "2099-01-01", "send": "1",
    }
    return {**data, **overrides}


# --- Setup ------------------------------------------------------------------------------


def test_without_a_profile_the_dashboard_sends_you_to_set_one_up(client_for, owner):
    response = client_for(owner).get(LIST)
    assert response.status_code == 302 and response["Location"] == reverse("offers:profile")


def test_without_a_program_the_dashboard_says_what_to_set_up(client_for, owner, provider):
    page = client_for(owner).get(LIST).content.decode()
    assert "Set up your provider account" in page and reverse("offers:programs") in page
    assert reverse("offers:create") not in page


def test_creating_offers_needs_an_active_program(client_for, owner, provider):
    IncentiveProgram.objects.create(organization=provider.organization, name="Old", active=False, incentive_types=["gift_card"])
    response = client_for(owner).get(reverse("offers:create"), follow=True)
    assert "Set up your provider profile and an active incentive program first." in response.content.decode()


def test_a_writer_saves_the_provider_profile_and_is_sent_to_programs(client_for, researcher, organization):
    response = client_for(researcher).post(reverse("offers:profile"), {"display_name": "Acme Rewards", "contact_email": "r@acme.test", "no_response_after_days": "10"})
    assert response.status_code == 302 and response["Location"] == reverse("offers:programs")
    assert ProviderProfile.objects.for_org(organization).get().no_response_after_days == 10


def test_a_viewer_reads_but_cannot_change_the_profile(client_for, viewer, provider):
    client = client_for(viewer)
    assert client.get(reverse("offers:profile")).status_code == 200
    assert client.post(reverse("offers:profile"), {"display_name": "Hacked", "contact_email": "x@y.test", "no_response_after_days": "3"}).status_code == 403
    provider.refresh_from_db()
    assert provider.display_name == "Acme Rewards"


def test_a_program_needs_a_unique_name_and_at_least_one_type(client_for, owner, program):
    response = client_for(owner).post(reverse("offers:programs"), {"name": "advocates", "default_expiry_days": "30"})
    page = response.content.decode()
    assert "A program with this name exists already." in page and "This field is required." in page
    assert IncentiveProgram.objects.count() == 1


# --- My Offers --------------------------------------------------------------------------


@pytest.mark.smoke
def test_my_offers_lists_only_this_organizations_offers(client_for, owner, offer_factory, other_organization, outsider):
    mine = offer_factory(recipient_name="Mine Person")
    theirs_program = IncentiveProgram.objects.create(organization=other_organization, name="Theirs", incentive_types=["gift_card"])
    make_offer(other_organization, theirs_program, outsider, recipient_name="Secret Person")
    page = client_for(owner).get(LIST).content.decode()
    assert "Mine Person" in page and f">{mine.pk}<" in page
    assert "Secret Person" not in page


def body_rows(page: str) -> int:
    """How many rows the page's table body shows."""
    body = page.split("<tbody", 1)[1].split("</tbody>", 1)[0]
    return body.count("<tr")


def assert_constant_queries(client, url, add_rows, *, per_row=1):
    """The page does no more queries with many rows than with a few, and shows them all."""
    add_rows(2)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        page = client.get(url)
    assert page.status_code == 200
    shown = body_rows(page.content.decode())
    add_rows(10)  # still one page
    with CaptureQueriesContext(connection) as many:
        page = client.get(url)
    assert body_rows(page.content.decode()) == shown + 10 * per_row
    assert len(many) == len(few)


def test_the_list_runs_the_same_queries_for_few_and_many_offers(client_for, owner, offer_factory):
    def add(n):
        for i in range(n):
            offer_factory(delivery=Offer.Delivery.LINK, is_group=bool(i % 2), max_members=3 if i % 2 else 1)
            offer_factory()

    assert_constant_queries(client_for(owner), LIST, add, per_row=2)


def test_link_templates_and_programs_run_constant_queries(client_for, owner, program, organization, offer_factory):
    def add_templates(n):
        for _ in range(n):
            template = services.link_template_save(organization=organization, name=f"T{LinkTemplate.objects.count()}", program=program, incentive_type="gift_card", amount_minor=100, currency="USD")
            services.offer_from_template(template=template, actor=owner)

    def add_programs(n):
        for _ in range(n):
            services.program_save(organization=organization, name=f"P{IncentiveProgram.objects.count()}", incentive_types=["gift_card"])

    assert_constant_queries(client_for(owner), reverse("offers:link_templates"), add_templates)
    assert_constant_queries(client_for(owner), reverse("offers:programs"), add_programs)


def test_htmx_filtering_returns_only_the_results_fragment(client_for, owner, offer_factory):
    offer_factory(recipient_name="Alpha Person")
    offer_factory(recipient_name="Beta Person", send=False)
    response = client_for(owner).get(LIST, {"q": "alpha"}, headers={"HX-Request": "true"})
    page = response.content.decode()
    assert "<html" not in page and 'id="results"' in page
    assert "Alpha Person" in page and "Beta Person" not in page
    drafts = client_for(owner).get(LIST, {"status": "draft"}, headers={"HX-Request": "true"}).content.decode()
    assert "Beta Person" in drafts and "Alpha Person" not in drafts


def test_each_row_has_its_menu(client_for, owner, offer_factory):
    offer = offer_factory()
    page = client_for(owner).get(LIST).content.decode()
    assert f'Actions for offer {offer.pk}' in page
    assert reverse("offers:messages", args=[offer.pk]) in page and reverse("offers:edit", args=[offer.pk]) not in page


def menu_offer(status, delivery, is_group, joined):
    offer = Offer(pk=7, program_id=3, status=status, delivery=delivery, is_group=is_group, max_members=3 if is_group else 1)
    offer.joined_count = joined
    return offer


@pytest.mark.parametrize("status", Status.values)
@pytest.mark.parametrize("delivery", Offer.Delivery.values)
@pytest.mark.parametrize("is_group, joined", [(False, 0), (False, 1), (True, 1), (True, 3)])
def test_the_row_menu_shows_exactly_what_the_rules_allow(status, delivery, is_group, joined):
    offer = menu_offer(status, delivery, is_group, joined)
    keys = [item.key for item in offer_menu(offer, link_url="https://x.test/offer-link/t/")]
    link = delivery == Offer.Delivery.LINK
    unclaimed = link and joined < offer.max_members and (status in EXPIRABLE if is_group else status == Status.OFFERED)
    expected = ["messages"]
    expected += ["share"] if unclaimed else []
    expected += ["edit"] if link and status == Status.OFFERED and not joined else []  # edits stop once someone joins
    expected += ["members"] if is_group else []
    expected += ["distributions", "program"]
    expected += ["widget"] if status == Status.ACKNOWLEDGED else []
    expected += ["details"]
    assert keys == expected


# --- Create and edit --------------------------------------------------------------------


@pytest.mark.smoke
def test_send_incentive_offer_creates_and_sends_it(client_for, researcher, program):
    response = client_for(researcher).post(reverse("offers:create"), offer_form(program=program.pk))
    offer = Offer.objects.get()
    assert response["Location"] == reverse("offers:detail", args=[offer.pk])
    assert offer.status == Status.OFFERED and offer.amount_minor == 2500 and offer.members.count() == 1


def test_save_incentive_offer_keeps_a_draft(client_for, owner, program):
    data = offer_form(program=program.pk, save="1")
    del data["send"]
    client_for(owner).post(reverse("offers:create"), data)
    assert Offer.objects.get().status == Status.DRAFT


@pytest.mark.parametrize("overrides, field_error", [
    ({"recipient_email": ""}, "Needed for an offer sent by email."),
    ({"value": "15%"}, "Only discounts can be a percentage"),
    ({"value": "abc"}, "is not an amount"),
    ({"incentive_type": "discount", "value": "150%"}, "at most 100"),
    ({"incentive_type": "cashback"}, "doesn't allow cashback incentives"),
    ({"expires_on": "2000-01-01"}, "The expiry date is in the past."),
    ({"is_group": "on", "max_members": "4"}, "Group offers go out as a shareable link."),
    ({"delivery": "link", "is_group": "on"}, "Say how many members the group may have."),
])
def test_bad_offer_input_gets_a_field_error_and_creates_nothing(client_for, owner, program, overrides, field_error):
    response = client_for(owner).post(reverse("offers:create"), offer_form(program=program.pk, **overrides))
    assert response.status_code == 200 and field_error in text(response)
    assert not Offer.objects.exists()


def test_a_viewer_cannot_create_offers(client_for, viewer, program):
    assert client_for(viewer).post(reverse("offers:create"), offer_form(program=program.pk)).status_code == 403
    assert not Offer.objects.exists()


def test_a_link_offer_from_a_template_is_prefilled_and_counts_as_its_usage(client_for, owner, program, organization):
    template = services.link_template_save(organization=organization, name="Booth", program=program, incentive_type="gift_card", amount_minor=1500, currency="USD", message="From the booth", expiry_days=14)
    client = client_for(owner)
    page = client.get(reverse("offers:create"), {"template": template.pk}).content.decode()
    assert 'value="15.00"' in page and "From the booth" in page
    client.post(reverse("offers:create"), offer_form(program=program.pk, delivery="link", link_template=template.pk, value="15.00", recipient_name="", recipient_email=""))
    offer = Offer.objects.get()
    assert offer.delivery == Offer.Delivery.LINK and offer.link_template == template and offer.link_token
    assert ">1<" in client.get(reverse("offers:link_templates")).content.decode()


def test_make_link_from_a_template_opens_a_shareable_offer(client_for, owner, program, organization):
    template = services.link_template_save(organization=organization, name="Team", program=program, incentive_type="discount", percent=15, currency="USD", expiry_days=14, is_group=True, max_members=5)
    response = client_for(owner).post(reverse("offers:link_template_make_link", args=[template.pk]), follow=True)
    offer = Offer.objects.get()
    assert offer.status == Status.OFFERED and offer.is_group and offer.max_members == 5 and offer.value_display == "15%"
    assert reverse("offers:link", args=[offer.link_token]) in response.content.decode()


def test_a_link_template_with_bad_input_is_refused(client_for, owner, program):
    response = client_for(owner).post(reverse("offers:link_templates"), {"name": "T", "program": program.pk, "incentive_type": "gift_card", "currency": "USD", "value": "-3", "expiry_days": "10"})
    assert "greater than zero" in response.content.decode()
    assert not LinkTemplate.objects.exists()


def test_an_offered_link_offer_can_be_edited(client_for, owner, offer_factory, program):
    offer = offer_factory(delivery=Offer.Delivery.LINK)
    client_for(owner).post(reverse("offers:edit", args=[offer.pk]), offer_form(program=program.pk, delivery="link", value="30", message="New words"))
    offer.refresh_from_db()
    assert offer.amount_minor == 3000 and offer.message == "New words"


def test_a_sent_email_offer_cannot_be_edited(client_for, owner, offer_factory, program):
    offer = offer_factory()
    response = client_for(owner).post(reverse("offers:edit", args=[offer.pk]), offer_form(program=program.pk, value="99"), follow=True)
    assert "only drafts of email offers can be edited" in text(response)
    assert Offer.objects.get(pk=offer.pk).amount_minor == 2500


# --- Offer pages ------------------------------------------------------------------------


def test_the_provider_accepts_a_counter_from_the_details_page(client_for, owner, offer_in):
    offer = offer_in(Status.COUNTER)
    client = client_for(owner)
    page = client.get(reverse("offers:detail", args=[offer.pk])).content.decode()
    assert "Accept counter" in page and "Timeline" in page
    response = client.post(reverse("offers:transition", args=[offer.pk]), {"to_status": "approved", "note": "Deal"}, follow=True)
    assert "is now Approved" in response.content.decode()
    assert Offer.objects.get(pk=offer.pk).amount_minor == 3500


def test_the_details_page_shows_every_transition_as_a_timeline(client_for, owner, offer_in):
    offer = offer_in(Status.COUNTER)
    client = client_for(owner)
    client.post(reverse("offers:transition", args=[offer.pk]), {"to_status": "approved", "note": "Deal"})
    timeline = text(client.get(reverse("offers:detail", args=[offer.pk]))).split('id="timeline"')[1]
    # Each entry as read: "<when> <who> (<side>): <from> → <to> <note>", tags and spacing dropped.
    entries = [re.sub(r"<[^>]+>", "", " ".join(li.split())) for li in re.findall(r"<li>(.*?)</li>", timeline, re.S)]
    assert [entry.split(": ", 1)[1] for entry in entries] == [
        "Draft Offer created.", "Draft → Offered", "Offered → Counter Proposed $35.00 instead of $25.00.",
        "Counter → Approved Deal Value: $35.00.",
    ]
    assert " Robin Recipient (recipient): " in entries[2] and f" {owner} (provider): " in entries[3]


def test_a_refused_transition_says_why_and_changes_nothing(client_for, owner, offer_in):
    offer = offer_in(Status.OFFERED)
    response = client_for(owner).post(reverse("offers:transition", args=[offer.pk]), {"to_status": "approved"}, follow=True)
    assert "Only the recipient can move an offer from Offered to Approved." in response.content.decode()
    assert Offer.objects.get(pk=offer.pk).status == Status.OFFERED


def test_a_viewer_cannot_move_an_offer(client_for, viewer, offer_in):
    offer = offer_in(Status.DRAFT)
    assert client_for(viewer).post(reverse("offers:transition", args=[offer.pk]), {"to_status": "offered"}).status_code == 403
    assert Offer.objects.get(pk=offer.pk).status == Status.DRAFT


def test_provider_messages_post_by_htmx_and_may_change_the_status(client_for, owner, offer_factory):
    offer = offer_factory()
    url = reverse("offers:messages", args=[offer.pk])
    response = client_for(owner).post(url, {"body": "What size?", "to_status": "needs_info"}, headers={"HX-Request": "true"})
    page = response.content.decode()
    assert "<html" not in page and "What size?" in page
    assert Offer.objects.get(pk=offer.pk).status == Status.NEEDS_INFO


def test_group_members_page_shows_progress(client_for, owner, offer_factory):
    offer = offer_factory(delivery=Offer.Delivery.LINK, is_group=True, max_members=5)
    for name in ("Ann", "Bo", "Cy"):
        services.offer_join(offer=offer, name=name, email=f"{name}@example.test")
    page = client_for(owner).get(reverse("offers:members", args=[offer.pk])).content.decode()
    assert "3 of 5 joined" in page and "Bo" in page


def test_distributions_are_recorded_totalled_and_exported_safely(client_for, owner, offer_in):
    offer = offer_in(Status.CLAIMED)
    client = client_for(owner)
    url = reverse("offers:distributions", args=[offer.pk])
    today = f"{timezone.localdate():%Y-%m-%d}"
    client.post(url, {"amount": "10.00", "distributed_on": today, "method": "gift_card", "reference": "=HYPERLINK(1)", "note": "first"})
    client.post(url, {"amount": "5.50", "distributed_on": today, "method": "paypal", "reference": "P-2"})
    assert "$15.50" in client.get(url).content.decode()
    response = client.get(reverse("offers:distributions_export"), {"offer": offer.pk})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:5] == ["Offer", "Program", "Recipient", "Date", "Amount"]
    assert [row[7] for row in rows[1:]] == ["'=HYPERLINK(1)", "P-2"]
    assert [row[4] for row in rows[1:]] == ["10.00", "5.50"]


def test_a_bad_distribution_gets_a_message_and_records_nothing(client_for, owner, offer_in):
    offer = offer_in(Status.CLAIMED)
    response = client_for(owner).post(reverse("offers:distributions", args=[offer.pk]), {"amount": "0", "distributed_on": "2099-01-01", "method": "gift_card"})
    assert "greater than zero" in text(response) and "can't be dated in the future" in text(response)
    assert not offer.distributions.exists()


def test_a_distribution_dated_before_the_offer_was_made_is_refused_naming_the_earliest_date(client_for, owner, offer_in):
    offer = offer_in(Status.CLAIMED)
    response = client_for(owner).post(reverse("offers:distributions", args=[offer.pk]), {"amount": "5.00", "distributed_on": "1900-01-01", "method": "gift_card"})
    assert response.status_code == 200
    assert f"A distribution can't be dated before the offer was made: {timezone.localdate(offer.created_at):%Y-%m-%d} at the earliest." in text(response)
    assert not offer.distributions.exists()


def test_the_export_covers_only_this_organization(client_for, outsider, offer_in, owner):
    offer = offer_in(Status.CLAIMED)
    services.distribution_record(offer=offer, actor=owner, amount=Money(100, "USD"), distributed_on=offer.created_at.date(), method="other", reference="OURS")
    response = client_for(outsider).get(reverse("offers:distributions_export"))
    assert "OURS" not in b"".join(response.streaming_content).decode()


# --- Tenancy ----------------------------------------------------------------------------


OFFER_PAGES = ["offers:detail", "offers:edit", "offers:messages", "offers:members", "offers:distributions", "offers:widget_embed"]


@pytest.mark.smoke
@pytest.mark.parametrize("url_name", OFFER_PAGES)
def test_another_organizations_offer_pages_are_not_found(client_for, outsider, offer_in, url_name):
    offer = offer_in(Status.ACKNOWLEDGED)
    assert client_for(outsider).get(reverse(url_name, args=[offer.pk])).status_code == 404


def test_another_organizations_link_templates_are_not_found_listed_or_usable(client_for, outsider, owner, program, organization, other_organization):
    theirs = services.program_save(organization=other_organization, name="Theirs", incentive_types=["gift_card"])
    services.provider_profile_save(organization=other_organization, display_name="Globex", contact_email="g@globex.test")
    template = services.link_template_save(organization=organization, name="Our booth", program=program, incentive_type="gift_card", amount_minor=100, currency="USD")
    client = client_for(outsider)
    assert client.get(reverse("offers:link_template_edit", args=[template.pk])).status_code == 404
    assert client.get(reverse("offers:create"), {"template": template.pk}).status_code == 404
    assert "Our booth" not in client.get(reverse("offers:link_templates")).content.decode()
    data = offer_form(program=theirs.pk, delivery="link", link_template=template.pk, recipient_name="", recipient_email="")
    assert "Select a valid choice" in text(client.post(reverse("offers:create"), data))
    assert not Offer.objects.exists()


def test_another_organization_can_change_nothing_of_ours(client_for, outsider, offer_in, organization, program):
    offer = offer_in(Status.CLAIMED)
    template = services.link_template_save(organization=organization, name="Ours", program=program, incentive_type="gift_card", amount_minor=100, currency="USD")
    client = client_for(outsider)
    posts = [
        (reverse("offers:transition", args=[offer.pk]), {"to_status": "completed"}),
        (reverse("offers:distributions", args=[offer.pk]), {"amount": "1", "distributed_on": "2026-01-01", "method": "other"}),
        (reverse("offers:messages", args=[offer.pk]), {"body": "hi"}),
        (reverse("offers:link_template_make_link", args=[template.pk]), {}),
        (reverse("offers:link_template_edit", args=[template.pk]), {"name": "Theirs now"}),
        (reverse("offers:program_detail", args=[program.pk]), {"name": "Theirs now"}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 404, url
    assert client.get(reverse("offers:distributions_export"), {"offer": offer.pk}).status_code == 404
    offer.refresh_from_db()
    assert offer.status == Status.CLAIMED and not offer.distributions.exists() and not offer.messages.exists()
    assert Offer.objects.count() == 1 and LinkTemplate.objects.get().name == "Ours"


def test_save_and_send_is_one_transaction_a_refused_send_keeps_the_draft_as_it_was(client_for, owner, offer_factory, program, monkeypatch):
    from offers import services
    from offers.services import OfferError

    offer = offer_factory(send=False)
    assert offer.status == Status.DRAFT

    def refuse(**kwargs):
        raise OfferError("The mail server is not configured.")

    monkeypatch.setattr(services, "offer_transition", refuse)
    form = {**offer_form(program=program.pk, value="99", message="Edited"), "send": "1"}
    response = client_for(owner).post(reverse("offers:edit", args=[offer.pk]), form, follow=True)
    assert "The mail server is not configured." in text(response)
    offer.refresh_from_db()
    assert (offer.status, offer.amount_minor) == (Status.DRAFT, 2500) and offer.message != "Edited"


def test_my_offers_says_which_offers_the_page_shows_without_counting_them_all(client_for, owner, offer_factory, django_assert_num_queries):
    for _ in range(30):
        offer_factory()
    client = client_for(owner)
    first = client.get(LIST).content.decode()
    assert "Offers 1–25 of more" in first
    assert re.search(r"Offers 26–30\s", client.get(LIST, {"page": 2}).content.decode())
    one = client.get(LIST, {"q": f"#{Offer.objects.order_by('pk').first().pk}"}).content.decode()
    assert re.search(r"offer-count\">1 offer\s", one)
    assert "SELECT COUNT(" not in " ".join(q["sql"].upper() for q in _captured(client))


def _captured(client):
    with CaptureQueriesContext(connection) as queries:
        client.get(LIST)
    return queries.captured_queries


def test_an_offer_that_cant_be_edited_says_why_before_any_form(client_for, owner, offer_in, offer_factory):
    client = client_for(owner)
    acknowledged = offer_in(Status.ACKNOWLEDGED)
    response = client.get(reverse("offers:edit", args=[acknowledged.pk]), follow=True)
    page = response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("offers:detail", args=[acknowledged.pk])
    assert "Send Incentive Offer" not in page and "is Acknowledged: only drafts of email offers can be edited" in page
    sent = offer_factory()  # an email offer, Offered
    page = client.get(reverse("offers:edit", args=[sent.pk]), follow=True).content.decode()
    assert "only drafts of email offers can be edited" in page and 'name="recipient_email"' not in page


def test_a_link_offers_edit_form_has_no_recipient_fields_and_saves_changes(client_for, owner, offer_factory):
    offer = offer_factory(delivery=Offer.Delivery.LINK)
    page = client_for(owner).get(reverse("offers:edit", args=[offer.pk])).content.decode()
    assert 'name="recipient_email"' not in page and 'name="recipient_name"' not in page
    assert "Save changes" in page and "Send Incentive Offer" not in page


def test_choosing_a_link_template_is_enough_to_send_a_link_offer(client_for, owner, program, organization):
    template = services.link_template_save(
        organization=organization, name="Booth", program=program, incentive_type="gift_card", amount_minor=1500,
        currency="USD", percent=None, message="Thanks for visiting", expiry_days=7, is_group=False, max_members=1,
    )
    response = client_for(owner).post(reverse("offers:create"), {
        "delivery": "link", "link_template": template.pk, "entity_type": "person", "stage": "prospect", "send": "1",
    })
    offer = Offer.objects.get(link_template=template)
    assert response.status_code == 302 and offer.status == Status.OFFERED and offer.amount_minor == 1500
    assert offer.message == "Thanks for visiting"


def test_the_create_form_offers_only_what_the_programs_allow_and_hides_group_fields(client_for, owner, program):
    page = client_for(owner).get(reverse("offers:create")).content.decode()
    assert 'value="gift_card"' in page and 'value="discount"' in page and 'value="cashback"' not in page
    assert 'id="offer-form-data"' in page and '"gift_card", "discount"' in page
    assert '<div data-group-only hidden>' in page


def test_the_offer_message_has_the_thread_messages_limit(client_for, owner, program):
    from offers.models import MESSAGE_LIMIT
    client = client_for(owner)
    long = "x" * (MESSAGE_LIMIT + 1)
    response = client.post(reverse("offers:create"), offer_form(program=program.pk, message=long))
    assert response.status_code == 200 and not Offer.objects.exists()
    assert f'maxlength="{MESSAGE_LIMIT}"' in client.get(reverse("offers:create")).content.decode()
    with pytest.raises(services.OfferError, match="at most 5,000 characters"):
        services.offer_create(organization=program.organization, actor=owner, value=Money(100, "USD"), send=False,
                              program=program, incentive_type="gift_card", delivery="link", message=long,
                              expires_on=timezone.localdate())
