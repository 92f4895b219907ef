"""A refused action shows its message where the person is looking, in every app (core/refusals.py).

htmx drops 4xx and 5xx answers unless told otherwise; these tests would see a dialog or panel that
"just stays as it was" if a refusal were dropped.
"""

import re

from playwright.sync_api import expect

from budgets.models import Budget
from core.money import Money
from offers.models import Offer
from rewards.models import Advocate, Reward
from rewards.services import Actor, reward_redeem
from studies.models import Study


def _open_send_dialog(page, live_server, study, *names):
    page.goto(f"{live_server.url}/studies/{study.pk}/")
    panel = page.locator("#panel")
    for name in names:
        panel.get_by_label(f"Select {name}").check()
    panel.get_by_text("Actions").click()
    panel.get_by_role("button", name="Send Incentives").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("button", name="Next")).to_be_visible()
    return dialog


def test_a_send_the_budget_cant_cover_says_so_in_the_dialog(page, live_server, demo, log_in):
    study = Study.objects.get(name="Onboarding interviews")
    sent_before = study.incentives.count()
    log_in("researcher@acme.test")
    dialog = _open_send_dialog(page, live_server, study, "Linus Pauling", "Marie Curie")
    dialog.get_by_role("button", name="Next").click()  # $50.00 in all: the amount step lets it on
    expect(dialog.get_by_label(re.compile("Subject"))).to_be_visible()
    # The budget is spent elsewhere while the dialog is open: the send re-checks and refuses, in the dialog.
    from budgets.models import Budget
    from budgets.services import budget_withdraw
    from core.money import Money
    from tenancy.models import User

    budget = Budget.objects.with_accounts().get(pk=study.budget_id)
    budget_withdraw(budget=budget, amount=Money(budget.available_minor - 1_000, budget.currency),
                    actor=User.objects.get(email="owner@acme.test"), memo="Spent elsewhere")
    dialog.get_by_role("button", name="Send to 2 participants").click()
    expect(dialog.get_by_text("has $10.00 available; 2 × $25.00 needs $50.00, $40.00 more")).to_be_visible()
    assert study.incentives.count() == sent_before


def test_a_refusal_inside_the_send_dialog_is_shown_in_the_dialog(page, live_server, demo, log_in):
    """The researcher stops owning the study while the dialog is open: the 403 toast lands in it."""
    study = Study.objects.get(name="Onboarding interviews")
    log_in("researcher@acme.test")
    dialog = _open_send_dialog(page, live_server, study, "Linus Pauling")
    study.owners.clear()
    dialog.get_by_role("button", name="Next").click()
    expect(dialog.get_by_role("alert")).to_contain_text("Only this study's owners and organization admins")
    expect(dialog.get_by_label(re.compile("Amount per participant"))).to_be_visible()  # the step is kept


def test_a_refused_status_change_in_the_study_panel_shows_a_toast(page, live_server, demo, log_in):
    study = Study.objects.get(name="Onboarding interviews")
    log_in("researcher@acme.test")
    page.goto(f"{live_server.url}/studies/{study.pk}/?group=invited")
    study.owners.clear()
    page.locator("#panel").get_by_label(re.compile("^Status of")).first.select_option(label="Scheduled")
    expect(page.locator("#messages").get_by_role("alert")).to_contain_text("Only this study's owners")


def test_a_withdrawal_above_the_available_money_says_what_is_there(page, live_server, demo, log_in):
    budget = Budget.objects.with_accounts().get(name="Customer interviews 2026")
    available = budget.available_account.balance
    log_in("owner@acme.test")
    page.goto(f"{live_server.url}/incentives/budgets/{budget.pk}/")
    form = page.locator("form[action$='/withdraw/']")
    box = form.get_by_label(re.compile("Amount"))
    box.fill("-5")  # not an amount: the browser says so at the box, before any confirm
    form.get_by_role("button", name=re.compile("Withdraw")).click()
    expect(page.locator("#confirm-dialog")).to_be_hidden()
    assert box.evaluate("element => !element.validity.valid")
    box.fill("9999999")
    form.get_by_role("button", name=re.compile("Withdraw")).click()
    page.locator("#confirm-dialog").get_by_role("button", name="Withdraw", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text(f"has {available} available")
    budget.available_account.refresh_from_db()
    assert budget.available_account.balance == available


def test_a_provider_step_on_an_offer_that_changed_meanwhile_is_refused_on_screen(page, live_server, demo, log_in):
    offer = Offer.objects.filter(status=Offer.Status.OFFERED, delivery=Offer.Delivery.EMAIL).first()
    log_in("provider@acme.test")
    page.goto(f"{live_server.url}/provider/incentive-offers/{offer.pk}/")
    Offer.objects.filter(pk=offer.pk).update(status=Offer.Status.REJECTED)  # the recipient declined meanwhile
    page.get_by_role("button", name="Request info").first.click()
    expect(page.get_by_role("alert")).to_contain_text("can't go from Rejected to Needs Info")


def test_redeeming_more_than_is_left_says_so_at_the_box_and_a_reward_spent_meanwhile_is_refused(page, live_server, demo, log_in):
    advocate = Advocate.objects.filter(account__rewards__status="available").distinct().first()
    log_in("owner@acme.test")
    page.goto(f"{live_server.url}/rewards/participants/{advocate.pk}/")
    row = page.get_by_role("row").filter(has=page.get_by_role("button", name="Redeem", exact=True)).first
    box = row.get_by_role("textbox").first
    for typed in (str(Money(10**9, "USD").plain()), "0", "-1", "abc"):
        box.fill(typed)
        row.get_by_role("button", name="Redeem", exact=True).click()
        expect(page.locator("#confirm-dialog")).to_be_hidden()
        assert "at most" in box.evaluate("element => element.validationMessage"), typed
    box.fill("1.00")
    reward = Reward.objects.get(pk=row.locator("form.redeem-form").get_attribute("action").rstrip("/").split("/")[-2])
    reward_redeem(reward=reward, amount=None, actor=Actor.system())  # spent meanwhile, in another tab
    row.get_by_role("button", name="Redeem", exact=True).click()
    page.locator("#confirm-dialog").get_by_role("button", name=re.compile("^Redeem")).click()
    expect(page.get_by_role("alert")).to_contain_text(re.compile("available|left|redeemed"))


def test_correcting_a_fund_asks_then_posts_its_opposite_or_says_why_not(page, live_server, demo, log_in):
    """The ledger's Correct…: a reason, the confirm dialog, then both rows; a fund whose money
    has been sent since is refused on screen with the figures."""
    from budgets import services

    budget = Budget.objects.with_accounts().get(name="Customer interviews 2026")
    services.budget_fund(budget=budget, amount=Money(1_500, "USD"), actor=None, memo="typo top-up")
    log_in("owner@acme.test")
    page.goto(f"{live_server.url}/incentives/budgets/{budget.pk}/")
    row = page.get_by_role("row").filter(has_text="typo top-up")
    row.get_by_text("Correct…").click()
    row.get_by_label("Why is it wrong?").fill("typed 15 for 1.50")
    row.get_by_role("button", name=re.compile("Reverse #")).click()
    dialog = page.locator("#confirm-dialog")
    expect(dialog).to_contain_text("The original stays in the ledger")
    dialog.get_by_role("button", name="Post the correction").click()
    expect(page.locator("#messages")).to_contain_text("its opposite is posted")
    expect(page.get_by_role("row").filter(has_text="typed 15 for 1.50")).to_contain_text("Corrects #")
    assert Budget.objects.with_accounts().get(pk=budget.pk).available_minor == budget.available_minor  # as before the typo

    first = budget.transactions.filter(kind="fund").order_by("pk").first()  # the demo's $5,000, partly sent since
    row = page.get_by_role("row").filter(has_text=first.memo)
    row.get_by_text("Correct…").click()
    row.get_by_label("Why is it wrong?").fill("all of it")
    row.get_by_role("button", name=re.compile("Reverse #")).click()
    page.locator("#confirm-dialog").get_by_role("button", name="Post the correction").click()
    expect(page.locator("#messages").get_by_role("alert")).to_contain_text("reversing this fund needs $5,000.00")
