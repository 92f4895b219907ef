"""Approvals in the browser: a researcher's send above the threshold says Awaiting approval, an
owner approves it from the Approvals page (in the confirm dialog) and it goes out; an owner's
own request can't be approved by them, and the refusal reaches the screen."""

import re

from playwright.sync_api import expect

from approvals.models import Approval
from budgets.models import Budget
from core.models import OutboundEmail
from incentives.models import Incentive
from studies.models import Study
from tenancy.models import Organization


def thresholds_on():
    Organization.objects.filter(slug="acme").update(approval_total_above_minor=100, approval_participant_above_minor=100)


def switch_user(page, log_in, email):
    page.context.clear_cookies()
    log_in(email)


def test_a_send_awaits_approval_and_an_owner_approves_it_from_the_approvals_page(page, live_server, demo, log_in, csp_violations):
    thresholds_on()
    study = Study.objects.get(name="Onboarding interviews")
    log_in("researcher@acme.test")
    page.goto(f"{live_server.url}/studies/{study.pk}/")
    panel = page.locator("#panel")
    panel.get_by_label("Select Linus Pauling").check()
    panel.get_by_text("Actions").click()
    panel.get_by_role("button", name="Send Incentives").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("button", name="Next").click()
    dialog.get_by_role("button", name="Send to 1 participant").click()
    expect(dialog.locator("#send-awaiting-approval")).to_contain_text("Awaiting approval")
    incentive = Incentive.objects.get(study=study, participant__name="Linus Pauling", status="awaiting_approval")
    assert not OutboundEmail.objects.filter(reference=incentive.reference).exists()
    page.goto(f"{live_server.url}/studies/{study.pk}/?group=sent")
    expect(page.locator("#panel li", has_text="Linus Pauling")).to_contain_text("Awaiting approval")

    switch_user(page, log_in, "owner@acme.test")
    expect(page.locator("#nav-approvals .nav-count")).to_have_text("1")
    page.locator("#nav-approvals").click()
    row = page.locator("tr", has_text="Onboarding interviews")
    row.get_by_role("button", name="Approve").click()
    page.get_by_role("dialog").get_by_role("button", name="Approve").click()
    expect(page.locator("#messages")).to_contain_text("It has run now.")
    incentive.refresh_from_db()
    assert incentive.status == "unclaimed"
    assert OutboundEmail.objects.filter(reference=incentive.reference, purpose="incentive_claim").count() == 1
    assert csp_violations == []


def test_an_owner_cant_approve_their_own_withdrawal_and_is_told_why(page, live_server, demo, log_in, context):
    thresholds_on()
    budget = Budget.objects.filter(organization__slug="acme").with_accounts().order_by("pk").first()
    log_in("owner@acme.test")
    page.goto(f"{live_server.url}/incentives/budgets/{budget.pk}/")
    withdraw = page.locator(f"form[action$='/budgets/{budget.pk}/withdraw/']")
    withdraw.locator("input[name='withdraw-amount']").fill("5.00")
    withdraw.get_by_role("button", name="Withdraw").click()
    page.get_by_role("dialog").get_by_role("button", name="Withdraw").click()
    expect(page.locator("#messages")).to_contain_text("awaiting approval by another owner or admin")
    expect(page.locator("#budget-awaiting-approval")).to_contain_text(f"Withdraw $5.00 from budget {budget.name}")

    page.goto(f"{live_server.url}/approvals/")
    row = page.locator("tr", has_text=f"Withdraw $5.00 from budget {budget.name}")
    expect(row).to_contain_text("Your request")
    expect(row.get_by_role("button", name="Approve")).to_have_count(0)  # no button to press on one's own request
    # A post made anyway (an old page, a script) is refused by the service, and the refusal is shown.
    approval = Approval.objects.get(kind="budget_withdrawal")
    token = next(cookie["value"] for cookie in context.cookies() if cookie["name"] == "csrftoken")
    page.request.post(f"{live_server.url}/approvals/{approval.pk}/approve/", form={"csrfmiddlewaretoken": token},
                      headers={"Referer": f"{live_server.url}/approvals/"}, max_redirects=0)
    page.goto(f"{live_server.url}/approvals/")
    expect(page.locator("#messages")).to_contain_text(re.compile(r"another owner or admin must approve or reject it \(two-person rule\)"))
    assert Approval.objects.get(kind="budget_withdrawal").status == "pending"
