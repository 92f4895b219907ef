"""A researcher pays two participants from a study; a participant claims from the emailed link."""

import re

from django.core import mail
from playwright.sync_api import expect

from studies.models import Study


def test_send_two_incentives_preview_see_the_emails_and_claim_one(page, live_server, demo, log_in, csp_violations, settings):
    settings.SITE_URL = live_server.url  # the claim links in the emails point at this server
    study = Study.objects.get(name="Onboarding interviews")
    log_in("researcher@acme.test")
    page.goto(f"{live_server.url}/studies/{study.pk}/")
    panel = page.locator("#panel")
    expect(panel.get_by_role("link", name=re.compile("^Done"))).to_have_attribute("aria-current", "page")

    panel.get_by_label("Select Linus Pauling").check()
    panel.get_by_label("Select Marie Curie").check()
    panel.get_by_text("Actions").click()
    panel.get_by_role("button", name="Send Incentives").click()

    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("To 2 participants: Linus Pauling, Marie Curie")
    expect(dialog.get_by_label(re.compile("Amount per participant"))).to_have_value("25.00")
    dialog.get_by_role("button", name="Next").click()
    expect(dialog.get_by_label(re.compile("Subject"))).to_have_value("Thank you for taking part in Onboarding interviews")
    dialog.get_by_label(re.compile("Message")).fill("Hi {name},\n\nThanks a lot for your time!")
    dialog.get_by_role("button", name="Preview Email").click()
    expect(dialog.get_by_role("heading", name=re.compile("^Preview"))).to_be_visible()
    preview = page.frame_locator("iframe.email-preview")
    expect(preview.get_by_text("Hi Linus Pauling,")).to_be_visible()
    expect(preview.get_by_role("link", name="Claim your incentive")).to_be_visible()
    expect(preview.get_by_text("$25.00").first).to_be_visible()
    page_url = page.url
    dialog.get_by_role("button", name="Send to 2 participants").click()
    expect(dialog).to_contain_text("Sent 2 incentives of $25.00")
    assert page.url == page_url  # every step was an htmx swap, no page load
    expect(panel.get_by_text("Linus Pauling")).to_have_count(0)  # they left the Done group
    dialog.get_by_role("button", name="Close").click()
    expect(page.get_by_role("dialog")).to_have_count(0)

    # The owner reads the outbox: the two emails, the claim links not stored.
    page.context.clear_cookies()
    log_in("owner@acme.test")
    page.goto(f"{live_server.url}/outbox/")
    for name in ("linus.pauling@example.test", "marie.curie@example.test"):
        expect(page.get_by_role("row").filter(has_text=name).filter(has_text="Thank you for taking part in Onboarding interviews")).to_have_count(1)
    page.get_by_role("row").filter(has_text="marie.curie@example.test").filter(has_text="Onboarding").get_by_role("link").click()
    expect(page.locator("pre.email-text")).to_contain_text("[personal link, not stored]")
    expect(page.locator("pre.email-text a[href*='/claim/']")).to_have_count(0)

    # The claim link is only in the email as sent (the live server shares this process's locmem mail).
    sent = next(message for message in mail.outbox if "marie.curie@example.test" in message.to[0])
    href = re.search(r"(\S+/claim/\S+/)", sent.body).group(1)
    assert href.startswith(f"{live_server.url}/claim/")

    # Marie opens her link, no login needed.
    page.context.clear_cookies()
    page.goto(href)
    expect(page.get_by_role("heading", name="Thank you, Marie Curie!")).to_be_visible()
    expect(page.locator("#claim-amount")).to_have_text("$25.00")
    page.get_by_label("Charity donation").check()
    page.get_by_label("Charity to donate to").fill("Doctors Without Borders")
    page.get_by_role("button", name="Claim $25.00").click()
    expect(page.get_by_role("heading", name="You have claimed $25.00")).to_be_visible()
    page.goto(href)  # reopened, the link says where the money is
    expect(page.get_by_role("heading", name="You have claimed $25.00")).to_be_visible()
    expect(page.locator("#payout-status")).to_contain_text("charity donation to Doctors Without Borders")
    assert csp_violations == []


def test_completing_a_scheduled_interview_moves_the_participant_to_done(page, live_server, demo, log_in, csp_violations):
    study = Study.objects.get(name="Onboarding interviews")
    log_in("researcher@acme.test")
    page.goto(f"{live_server.url}/studies/{study.pk}/")
    panel = page.locator("#panel")
    panel.get_by_role("link", name=re.compile("^Scheduled")).click()
    expect(panel.get_by_role("link", name=re.compile("^Scheduled"))).to_have_attribute("aria-current", "page")
    # htmx binds the swapped panel's hx-* handlers when it settles (its class comes off then),
    # not when the new HTML appears: a change before that would send nothing.
    expect(panel).not_to_have_class(re.compile("htmx-settling"))
    status = panel.get_by_role("combobox").first
    name = status.get_attribute("aria-label").removeprefix("Status of ")
    status.select_option("interview_completed")
    expect(page.locator("#messages")).to_contain_text(f"{name}: Incentive not sent.")
    panel.get_by_role("link", name=re.compile("^Done")).click()
    expect(panel.get_by_label(f"Select {name}")).to_be_visible()
    assert csp_violations == []
