"""The study overview and its send wizard in a real browser (issue 14, items 3, 4, 8, 10):
figures current after a send, the amount step checks the budget, the wizard is a real modal
that refuses unknown placeholders, and a closed study says why it can't send."""

import re

from playwright.sync_api import expect

from budgets.models import Budget
from studies.models import Study


def open_wizard(page, live_server, study, *names):
    page.goto(f"{live_server.url}/studies/{study.pk}/")
    panel = page.locator("#panel")
    for name in names:
        panel.get_by_label(f"Select {name}").check()
    panel.get_by_text("Actions").click()
    panel.get_by_role("button", name="Send Incentives").click()
    dialog = page.locator("#send-dialog")
    expect(dialog).to_be_visible()
    return dialog


def test_after_a_send_the_study_figures_are_current(page, live_server, demo, log_in):
    study = Study.objects.get(name="Onboarding interviews")
    budget = Budget.objects.with_accounts().get(pk=study.budget_id)
    log_in("researcher@acme.test")
    dialog = open_wizard(page, live_server, study, "Linus Pauling", "Marie Curie")
    sent_before = int(page.locator("#study-sent").inner_text())
    dialog.get_by_role("button", name="Next").click()
    dialog.get_by_role("button", name="Send to 2 participants").click()
    expect(dialog).to_contain_text("Sent 2 incentives of $25.00")
    budget.refresh_from_db()
    expected = f"${(budget.available_minor) / 100:,.2f}"
    expect(page.locator("#study-available")).to_have_text(expected)
    expect(page.locator("#study-sent")).to_have_text(str(sent_before + 2))


def test_the_amount_step_refuses_a_total_above_the_budget_and_says_what_is_short(page, live_server, demo, log_in):
    study = Study.objects.get(name="Onboarding interviews")
    budget = Budget.objects.with_accounts().get(pk=study.budget_id)
    log_in("researcher@acme.test")
    dialog = open_wizard(page, live_server, study, "Linus Pauling", "Marie Curie")
    dialog.get_by_label(re.compile("Amount per participant")).fill("3000")
    dialog.get_by_role("button", name="Next").click()
    available = budget.available_minor / 100
    short = 6000 - available
    expect(dialog.get_by_text(f"has ${available:,.2f} available; 2 × $3,000.00 needs $6,000.00, ${short:,.2f} more")).to_be_visible()
    expect(dialog.get_by_role("button", name="Next")).to_be_visible()  # still the amount step
    expect(dialog.get_by_label(re.compile("Amount per participant"))).to_be_focused()


def test_the_send_dialog_is_modal_escape_closes_it_and_focus_returns(page, live_server, demo, log_in):
    study = Study.objects.get(name="Onboarding interviews")
    log_in("researcher@acme.test")
    dialog = open_wizard(page, live_server, study, "Linus Pauling")
    assert dialog.evaluate("d => d.matches(':modal')")
    expect(dialog.get_by_label(re.compile("Amount per participant"))).to_be_focused()
    for _ in range(6):  # Tab never leaves the dialog
        page.keyboard.press("Tab")
        assert page.evaluate("() => !!document.activeElement.closest('#send-dialog')")
    page.keyboard.press("Escape")
    expect(page.locator("#send-dialog")).to_have_count(0)
    expect(page.locator("#done-selection summary")).to_be_focused()

    dialog = open_wizard(page, live_server, study, "Linus Pauling")
    dialog.get_by_role("button", name="Cancel").click()
    expect(page.locator("#send-dialog")).to_have_count(0)
    expect(page.locator("#done-selection summary")).to_be_focused()


def test_an_unknown_placeholder_is_refused_with_the_known_ones_listed(page, live_server, demo, log_in):
    study = Study.objects.get(name="Onboarding interviews")
    log_in("researcher@acme.test")
    dialog = open_wizard(page, live_server, study, "Linus Pauling")
    dialog.get_by_role("button", name="Next").click()
    dialog.get_by_label(re.compile("Message")).fill("Hi {nmae}, thanks!")
    dialog.get_by_role("button", name="Preview Email").click()
    expect(dialog.get_by_text("Unknown placeholder: {nmae}. The placeholders you can use: {name}.")).to_be_visible()
    expect(dialog.get_by_label(re.compile("Message"))).to_be_focused()
    expect(dialog.get_by_role("heading", name=re.compile("^Preview"))).to_have_count(0)


def test_a_closed_study_says_why_it_cannot_send_and_offers_reopen(page, live_server, demo, log_in):
    from studies.models import Study as StudyModel

    study = Study.objects.get(name="Onboarding interviews")
    StudyModel.objects.filter(pk=study.pk).update(status="closed")
    log_in("researcher@acme.test")
    page.goto(f"{live_server.url}/studies/{study.pk}/")
    note = page.locator("#study-closed-note")
    expect(note).to_contain_text("This study is closed; reopen it to send incentives.")
    note.get_by_role("button", name="Reopen to send").click()
    expect(page.get_by_text(f"“{study.name}” is open again.")).to_be_visible()
    expect(page.locator("#done-selection")).to_be_attached()  # the send controls are back

    page.context.clear_cookies()
    StudyModel.objects.filter(pk=study.pk).update(status="closed")
    log_in("viewer@acme.test")
    page.goto(f"{live_server.url}/studies/{study.pk}/")
    expect(page.locator("#study-closed-note")).to_contain_text("Its owners and organization admins can reopen it.")
    expect(page.get_by_role("button", name="Reopen to send")).to_have_count(0)


def test_the_study_form_shows_an_amount_error_once(page, live_server, demo, log_in):
    log_in("owner@acme.test")
    page.goto(f"{live_server.url}/studies/new/")
    page.get_by_label("Name").first.fill("Diary study")
    page.get_by_label("Incentive per participant").fill("12,50")
    page.get_by_role("button", name="Create study").click()
    expect(page.get_by_label("Incentive per participant")).to_have_value("12,50")
    page.wait_for_load_state("networkidle")
    message = page.locator("main").get_by_text(re.compile("comma", re.IGNORECASE))
    expect(message).to_have_count(1)
