"""The W-9 on a held incentive's claim page in the browser: a wrong TIN is refused on the screen
and nothing is claimed; the corrected form claims, the page says the W-9 is received, and an
owner accepts it on Tax totals (in the confirm dialog), which releases the payout."""

from playwright.sync_api import expect

from core.money import Money
from core.tax import tax_threshold_set
from incentives import services, tax, tokens
from incentives.models import Incentive, W9Submission
from studies.models import Study, StudyParticipant
from tenancy.models import User


def test_a_participant_gives_a_w9_refused_first_for_a_bad_tin_and_an_owner_accepts_it(page, live_server, demo, log_in, csp_violations):
    study = Study.objects.select_related("organization").get(name="Onboarding interviews")
    organization = study.organization
    tax_threshold_set(organization=organization, year=tax.current_year(organization), amount=Money(1_000, "USD"))
    person = StudyParticipant.objects.filter(study=study, status="incentive_not_sent").select_related("participant").first().participant
    (incentive,) = services.incentives_send(
        study=study, participant_ids=[person.pk], amount=Money(2_500, "USD"), subject="Thanks", message="Hi",
        actor=User.objects.get(email="researcher@acme.test"),
    )
    assert incentive.w9_hold

    page.goto(f"{live_server.url}/claim/{tokens.claim_token(incentive.token_nonce)}/")
    expect(page.locator("#claim-w9")).to_contain_text("A W-9 is needed before this payment is sent.")
    page.get_by_label("Charity donation").check()
    page.get_by_label("Charity to donate to").fill("Doctors Without Borders")
    page.get_by_label("Name (as shown on your income tax return)").fill(person.name)
    page.get_by_label("SSN", exact=True).check()
    page.get_by_label("Number (SSN 123-45-6789 or EIN 12-3456789)").fill("000-12-3456")
    page.get_by_label("Address (number, street, apt., city, state, ZIP code)").fill("12 Main Street\nSpringfield, IL 62701")
    page.get_by_label("Under penalties of perjury", exact=False).check()
    page.get_by_role("button", name="Claim $25.00").click()
    expect(page.locator("#w9-form")).to_contain_text("000-12-3456 is not an SSN the IRS issues; check the number.")
    assert Incentive.objects.get(pk=incentive.pk).status == "unclaimed" and not W9Submission.objects.exists()

    page.get_by_label("Number (SSN 123-45-6789 or EIN 12-3456789)").fill("123-45-6789")
    page.get_by_role("button", name="Claim $25.00").click()
    expect(page.get_by_role("heading", name="You have claimed $25.00")).to_be_visible()
    expect(page.locator("#claim-w9")).to_contain_text("Your W-9 is received.")
    assert Incentive.objects.get(pk=incentive.pk).w9_hold

    log_in("owner@acme.test")
    page.goto(f"{live_server.url}/incentives/tax/")
    waiting = page.locator("#w9-waiting")
    expect(waiting).to_contain_text("SSN •••-••-6789")
    expect(waiting).not_to_contain_text("123-45")
    waiting.get_by_role("button", name="Accept W-9").click()
    page.get_by_role("dialog").get_by_role("button", name="Accept it").click()
    expect(page.locator("#messages")).to_contain_text(f"W-9 of {person.name} accepted; 1 held incentive may be paid out.")
    assert not Incentive.objects.get(pk=incentive.pk).w9_hold
    assert csp_violations == []
