"""Issue 15 "Done means": a whole negotiation, provider and recipient in two browser contexts,
every email each side receives (read from the outbox as it is sent) and what each page says
at each step; then a three-member group offer."""

import re

import pytest
from playwright.sync_api import expect

from .test_offer_journey import partner_site, transition  # noqa: F401 (a fixture)

PROVIDER = "provider@acme.test"  # the demo provider's contact address, too


@pytest.fixture
def outbox(settings, live_server):
    """The emails written since the last call, as (to, subject, text as sent)."""
    from core.models import OutboundEmail
    from core.services import outbound_email_bodies

    settings.SITE_URL = live_server.url  # the links in the emails point at this server
    seen = set(OutboundEmail.objects.values_list("pk", flat=True))

    def new():
        emails = list(OutboundEmail.objects.exclude(pk__in=seen).order_by("pk"))
        seen.update(e.pk for e in emails)
        return [(e.to_email, e.subject, outbound_email_bodies(e)[0]) for e in emails]

    return new


def link_in(text: str) -> str:
    return re.search(r"https?://\S+/offer/[\w-]+/", text).group(0)


def says(page, text):
    expect(page.locator("#standing")).to_contain_text(text)


def test_a_whole_negotiation_between_provider_and_recipient(page, browser, live_server, demo, log_in, outbox,
                                                            csp_violations, partner_site):  # noqa: F811
    log_in(PROVIDER)
    page.goto(f"{live_server.url}/provider/incentive-offers/new/")
    page.get_by_label("Program").select_option(label="Customer advocates")
    page.get_by_label("Value").fill("25.00")
    page.get_by_label("Recipient name").fill("Alice Example")
    page.get_by_label("Recipient email").fill("alice@example.test")
    page.get_by_role("button", name="Send Incentive Offer").click()
    expect(page.locator("#offer-status")).to_have_text("Offered")
    offer_url = page.url
    [(to, subject, text)] = outbox()
    assert to == "alice@example.test" and subject.startswith("Acme Rewards offers you $25.00")

    alice_context = browser.new_context()
    alice = alice_context.new_page()
    alice.goto(link_in(text))
    expect(alice.get_by_role("heading", name="Your offer from Acme Rewards")).to_be_visible()
    says(alice, "Acme Rewards offers you $25.00")

    def provider_does(button, **fields):
        page.goto(offer_url)
        transition(page, button, **fields)

    def alice_does(button, **fields):
        alice.reload()
        transition(alice, button, **fields)

    # Needs info, with a note the recipient reads on the page, in the thread and by email.
    provider_does("Request info", note="Which store do you prefer?")
    [(to, subject, text)] = outbox()
    assert to == "alice@example.test" and "needs more information" in subject and "Which store do you prefer?" in text
    alice.goto(link_in(text))
    says(alice, "needs more information from you")
    expect(alice.locator("#provider-note")).to_contain_text("Which store do you prefer?")
    expect(alice.locator("#thread")).to_contain_text("Which store do you prefer?")

    alice_does("Provide info", note="The one on Main Street")
    says(alice, "Waiting for Acme Rewards to decide.")
    [(to, subject, text)] = outbox()
    assert to == PROVIDER and "Info Provided" in subject and "The one on Main Street" in text

    # A partial grant, a counter, a partial grant below the counter, accepted.
    provider_does("Grant in part", value="30.00")
    expect(page.locator(".flash-error, [role=alert]").first).to_contain_text("below the offer of $25.00")
    provider_does("Grant in part", value="20.00")
    [(to, subject, _)] = outbox()
    assert to == "alice@example.test" and "granted $20.00" in subject
    alice_does("Counter", value="24.00")
    says(alice, "You proposed $24.00. Waiting for Acme Rewards to answer.")
    [(to, subject, _)] = outbox()
    assert to == PROVIDER and "Counter" in subject
    provider_does("Grant in part", value="22.00")
    [(to, subject, _)] = outbox()
    assert to == "alice@example.test" and "granted $22.00" in subject
    alice_does("Accept")
    says(alice, "$22.00 is confirmed. Claim it when you are ready.")
    assert [to for to, *_ in outbox()] == [PROVIDER]

    # A claim sent back for revision, resubmitted, confirmed and fulfilled.
    alice_does("Claim")
    says(alice, "Waiting for Acme Rewards to confirm your claim.")
    assert [to for to, *_ in outbox()] == [PROVIDER]
    provider_does("Ask for revision", note="Please confirm your address")
    [(to, subject, text)] = outbox()
    assert to == "alice@example.test" and "revise" in subject and "Please confirm your address" in text
    alice.reload()
    expect(alice.locator("#provider-note")).to_contain_text("Please confirm your address")
    alice_does("Resubmit claim", note="12 Main Street")
    assert [to for to, *_ in outbox()] == [PROVIDER]
    provider_does("Confirm claim")
    [(to, subject, _)] = outbox()
    assert to == "alice@example.test" and "confirmed your claim" in subject
    provider_does("Mark completed")
    [(to, subject, _)] = outbox()
    assert to == "alice@example.test" and "fulfilled" in subject
    words = "Thank you, Acme! " + "The gift card came just in time for my sister's birthday. " * 6
    alice_does("Acknowledge", acknowledgement_name="Alice", note=words)
    expect(alice.locator("#offer-status")).to_have_text("Acknowledged")
    expect(alice.locator("#acknowledgement")).to_contain_text("Thank you, Acme!")
    assert [to for to, *_ in outbox()] == [PROVIDER]

    # The thread is the timeline, on both sides.
    expect(alice.locator("#thread .event")).to_have_count(13)  # sent and twelve steps
    page.goto(offer_url.rstrip("/") + "/messages/")
    expect(page.locator("#thread")).to_contain_text("Please confirm your address")
    expect(page.locator("#thread")).to_contain_text("12 Main Street")
    alice_context.close()

    # The widget on another origin sizes itself to its card.
    page.goto(offer_url.rstrip("/") + "/widget/")
    partner_site.html = f"<!doctype html><html><body>{page.locator('#snippet-script').inner_text()}</body></html>"
    page.goto(partner_site.url)
    card = page.frame_locator("iframe.gratia-acknowledgement")
    expect(card.get_by_text("Thank you, Acme!", exact=False)).to_be_visible()
    frame = page.locator("iframe.gratia-acknowledgement")
    expect(frame).not_to_have_attribute("height", "140")
    height = int(frame.get_attribute("height"))
    assert height > 140 and height == pytest.approx(card.locator(".ack-card").bounding_box()["height"] + 8, abs=3)
    assert csp_violations == []


def test_a_group_of_three_negotiates_as_a_group(page, browser, live_server, demo, log_in, outbox, csp_violations):
    log_in(PROVIDER)
    page.goto(f"{live_server.url}/provider/incentive-offers/new/")
    page.get_by_label("Program").select_option(label="Customer advocates")
    expect(page.get_by_label("Maximum members")).to_be_hidden()
    expect(page.get_by_label("Incentive type").locator("option[value=discount]")).to_be_hidden()
    page.get_by_label("Group offer").check()
    expect(page.get_by_text("Group offers go out as a shareable link.")).to_be_visible()
    page.get_by_label("Maximum members").fill("3")
    page.get_by_label("Value").fill("10.00")
    page.get_by_role("button", name="Send Incentive Offer").click()
    expect(page.locator("#offer-status")).to_have_text("Offered")
    offer_url, link = page.url, page.locator("#share-link").inner_text()
    outbox()

    members = {}
    for name in ("Kim", "Max", "Noa"):
        context = browser.new_context()
        member = context.new_page()
        member.goto(link)
        member.get_by_label("Your name").fill(name)
        member.get_by_label("Your email").fill(f"{name.lower()}@example.test")
        member.get_by_role("button", name="Continue").click()
        expect(member.get_by_text(f"Hello {name}.")).to_be_visible()
        members[name] = member
    assert sorted(to for to, *_ in outbox()) == ["kim@example.test", "max@example.test", "noa@example.test"]
    stranger = browser.new_context().new_page()
    stranger.goto(link)
    expect(stranger.locator("#link-state")).to_have_text("This group is full. All 3 places are taken.")

    kim, max_ = members["Kim"], members["Max"]
    transition(kim, "Counter", value="12.00")
    says(kim, "You proposed $12.00.")
    max_.reload()
    says(max_, "Kim proposed $12.00.")
    assert sorted(to for to, *_ in outbox()) == ["max@example.test", "noa@example.test", PROVIDER]

    # Private threads with the provider, and a message to everyone.
    kim.locator("#thread textarea[name=body]").fill("Can I get it as two cards?")
    kim.get_by_role("button", name="Send message").click()
    expect(kim.locator("#thread")).to_contain_text("Can I get it as two cards?")
    page.goto(offer_url.rstrip("/") + "/messages/")
    page.locator("select[name=to_member]").select_option(label="Everyone in the group")
    page.get_by_label("Message").fill("We answer your counter tomorrow.")
    page.get_by_role("button", name="Send message").click()
    expect(page.locator("#thread")).to_contain_text("to everyone in the group")
    max_.reload()
    expect(max_.locator("#thread")).to_contain_text("We answer your counter tomorrow.")
    expect(max_.locator("#thread")).not_to_contain_text("two cards")
    told = outbox()
    assert [to for to, *_ in told if to == PROVIDER] == [PROVIDER]  # Kim's message
    assert sorted(to for to, s, _ in told if "A message from" in s) == ["kim@example.test", "max@example.test", "noa@example.test"]
    assert csp_violations == []
