"""The one confirm dialog (static/js/app.js): destructive and money-moving actions ask in a
<dialog>, never with window.confirm; Escape and the safe button change nothing; focus moves in
and comes back."""

import datetime

from django.utils import timezone
from playwright.sync_api import expect

from core.models import OutboundEmail
from studies.models import Study

from ..incentives.factories_recipients import make_incentives


def native_dialogs(page) -> list:
    seen = []
    page.on("dialog", lambda dialog: (seen.append(dialog.message), dialog.dismiss()))
    return seen


def test_closing_a_study_asks_in_a_dialog_that_escape_and_keep_refuse(page, live_server, demo, log_in, csp_violations):
    study = Study.objects.get(name="Onboarding interviews")
    study.organization.claims_allowed_after_study_closes = False
    study.organization.save()
    natives = native_dialogs(page)
    log_in("researcher@acme.test")
    page.goto(f"{live_server.url}/studies/{study.pk}/")
    close = page.get_by_role("button", name="Close study")
    confirm = page.get_by_role("dialog")

    close.click()
    expect(confirm).to_contain_text(f"Close {study.name}?")
    expect(confirm).to_contain_text("unclaimed incentive")
    keep = confirm.get_by_role("button", name="Keep it open")
    expect(keep).to_be_focused()
    page.keyboard.press("Escape")
    expect(confirm).to_be_hidden()
    expect(close).to_be_focused()

    close.click()
    keep.click()
    expect(confirm).to_be_hidden()
    study.refresh_from_db()
    assert study.is_open

    close.click()
    confirm.get_by_role("button", name="Close the study").click()
    expect(page.get_by_text(f"“{study.name}” is closed.")).to_be_visible()
    expect(page.get_by_role("button", name="Reopen study")).to_be_visible()
    study.refresh_from_db()
    assert not study.is_open and natives == [] and csp_violations == []


def test_resending_names_the_count_of_the_selection(page, live_server, demo, log_in):
    study = Study.objects.get(name="Onboarding interviews")
    make_incentives(study, 3, names=["Old Ada", "Old Alan", "Old Grace"], sent_at=timezone.now() - datetime.timedelta(days=400))
    natives = native_dialogs(page)
    log_in("researcher@acme.test")
    page.goto(f"{live_server.url}/incentives/recipients/?status=unclaimed&sent=over_a_year")
    boxes = page.locator("[data-select-row]")
    boxes.nth(0).click()
    boxes.nth(1).click()
    emails = OutboundEmail.objects.count()

    page.get_by_role("button", name="Resend incentives").click()
    confirm = page.get_by_role("dialog")
    expect(confirm).to_contain_text("each of the 2 selected incentives")
    confirm.get_by_role("button", name="Don’t send").click()
    expect(confirm).to_be_hidden()
    assert OutboundEmail.objects.count() == emails

    page.get_by_role("button", name="Resend incentives").click()
    confirm.get_by_role("button", name="Resend 2").click()
    expect(page.get_by_text("Resent 2 incentives.")).to_be_visible()
    assert OutboundEmail.objects.count() == emails + 2 and natives == []


def test_a_double_click_on_add_funds_adds_them_once(page, live_server, demo, log_in):
    from budgets.models import Budget

    budget = Budget.objects.with_accounts().get(name="Customer interviews 2026")
    before = budget.available_minor
    log_in("owner@acme.test")
    page.goto(f"{live_server.url}/incentives/budgets/{budget.pk}/")
    form = page.locator("form[action$='/fund/']")
    form.get_by_label("Amount").fill("10")
    form.get_by_role("button", name="Add funds").dblclick()
    expect(page.get_by_text("Added $10.00")).to_be_visible()
    assert Budget.objects.with_accounts().get(pk=budget.pk).available_minor == before + 1_000
