"""Payouts in the browser: the claim page's method switching and checks, and the finance
person's Payouts page (a batch, its SEPA file, marking it sent, a returned payout)."""

import re

import xmlschema
from playwright.sync_api import expect

from incentives.emails import incentive_claim_url
from incentives.models import Incentive

from ..payouts.test_done_means import SEPA_SCHEMA


def test_the_claim_page_shows_only_the_chosen_methods_fields_and_checks_the_iban(page, live_server, demo, settings, csp_violations):
    settings.SITE_URL = live_server.url
    incentive = Incentive.objects.filter(status="unclaimed", currency="EUR").order_by("pk").first()
    page.goto(incentive_claim_url(incentive.pk))
    gift_card_email, iban = page.get_by_label("Email address for the gift card"), page.get_by_label(re.compile("^IBAN"))
    expect(gift_card_email).to_be_visible()
    expect(iban).to_be_hidden()
    expect(page.get_by_label("Charity to donate to")).to_be_hidden()
    expect(page.locator("#claim-arrival")).to_contain_text("within 7 days")

    page.get_by_label("Bank transfer").check()
    expect(iban).to_be_visible()
    expect(gift_card_email).to_be_hidden()
    page.get_by_label("Account holder").fill("Grace Hopper")
    iban.fill("DE89 3704 0044 0532 0130 01")  # one digit off
    page.get_by_role("button", name=re.compile("^Claim")).click()
    expect(page.get_by_text("This IBAN is not valid")).to_be_visible()
    expect(page.get_by_label(re.compile("^IBAN"))).to_be_visible()  # still the chosen method's fields
    expect(page.get_by_label("Email address for the gift card")).to_be_hidden()
    assert Incentive.objects.get(pk=incentive.pk).status == "unclaimed"

    page.get_by_label(re.compile("^IBAN")).fill("DE89 3704 0044 0532 0130 00")
    page.get_by_role("button", name=re.compile("^Claim")).click()
    expect(page.locator("#payout-status")).to_contain_text("bank transfer to DE89 •••• 3000")
    page.goto(incentive_claim_url(incentive.pk))
    expect(page.locator("#payout-status")).to_contain_text(re.compile(r"Claimed on \d+ \w+, bank transfer to DE89 •••• 3000"))
    assert csp_violations == []


def test_finance_batches_downloads_marks_sent_and_records_a_return(page, live_server, demo, log_in, csp_violations):
    log_in("finance@acme.test")
    page.get_by_role("link", name="Payouts").click()
    owed = page.locator("#owed tr[data-method='bank_transfer'][data-currency='EUR']")
    expect(owed).to_contain_text("Bank transfer")
    owed.get_by_role("button", name="Make a batch").click()
    dialog = page.locator("#confirm-dialog")
    expect(dialog).to_contain_text("Make a batch of 1 payout by bank transfer")
    dialog.get_by_role("button", name="Make the batch").click()
    expect(page.locator("#messages, .flash").first).to_contain_text("Download its file")
    expect(page.get_by_role("heading", name=re.compile("Batch \\d+: Bank transfer in EUR"))).to_be_visible()
    expect(page.get_by_role("cell", name="FR76 •••• 0189", exact=False)).to_be_visible()

    with page.expect_download() as download:
        page.get_by_role("button", name="Download the SEPA file (pain.001)").click()
    xml = open(download.value.path()).read()
    xmlschema.XMLSchema(SEPA_SCHEMA).validate(xml)
    assert "FR7630006000011234567890189" in xml

    page.get_by_role("button", name="Mark the batch sent").click()
    page.locator("#confirm-dialog").get_by_role("button", name="Mark it sent").click()
    expect(page.locator("#batch-status")).to_have_text("Sent")
    expect(page.get_by_role("button", name="Mark the batch sent")).to_have_count(0)

    row = page.get_by_role("row").filter(has_text="FR76")
    row.get_by_label(re.compile("The bank's reason")).fill("Account closed (AC04)")
    row.get_by_role("button", name="Returned").click()
    page.locator("#confirm-dialog").get_by_role("button", name="Mark it returned").click()
    expect(page.get_by_text(re.compile("is asked by email to check their details"))).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="FR76")).to_contain_text("Account closed (AC04)")
    assert Incentive.objects.get(payout_method="bank_transfer").payout_status == "returned"
    assert csp_violations == []
