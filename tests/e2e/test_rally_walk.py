"""The walk: Rally's "send incentives" help page from top to bottom, in Chromium, asserting
what a person sees at each step, the refusals included (issue 14, "Prove it")."""

import csv
import datetime
import re

from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from budgets.models import Budget
from studies.models import Study

from ..incentives.factories_recipients import make_incentives


def dollars(minor: int) -> str:
    return f"${minor / 100:,.2f}"


def test_the_rally_walk(page, live_server, demo, log_in, settings, csp_violations):
    settings.SITE_URL = live_server.url
    study = Study.objects.get(name="Onboarding interviews")
    budget = Budget.objects.with_accounts().get(pk=study.budget_id)
    make_incentives(study, 4, names=["Old Ada", "Old Alan", "Old Grace", "Old Hedy"], sent_at=timezone.now() - datetime.timedelta(days=400))
    log_in("researcher@acme.test")

    # 1. The study's Done group: pick two participants, Actions > Send Incentives.
    page.goto(f"{live_server.url}/studies/{study.pk}/")
    panel = page.locator("#panel")
    panel.get_by_label("Select Linus Pauling").check()
    panel.get_by_label("Select Marie Curie").check()
    panel.get_by_text("Actions").click()
    panel.get_by_role("button", name="Send Incentives").click()
    dialog = page.locator("#send-dialog")
    expect(dialog).to_contain_text("To 2 participants: Linus Pauling, Marie Curie")

    # 2. The amount: too much for the budget is refused here, with what is short.
    amount = dialog.get_by_label(re.compile("Amount per participant"))
    amount.fill("5000")
    dialog.get_by_role("button", name="Next").click()
    expect(dialog.get_by_text(f"has {dollars(budget.available_minor)} available; 2 × $5,000.00 needs $10,000.00")).to_be_visible()
    amount.fill("25")
    dialog.get_by_role("button", name="Next").click()

    # 3. The thank-you email: an unknown placeholder is refused; the preview shows the name.
    message = dialog.get_by_label(re.compile("Message"))
    message.fill("Hi {nmae},\n\nThanks!")
    dialog.get_by_role("button", name="Preview Email").click()
    expect(dialog).to_contain_text("Unknown placeholder: {nmae}")
    dialog.get_by_label(re.compile("Message")).fill("Hi {name},\n\nThanks!")
    dialog.get_by_role("button", name="Preview Email").click()
    expect(page.frame_locator("iframe.email-preview").get_by_text("Hi Linus Pauling,")).to_be_visible()

    # 4. Send: the figures on the page follow at once.
    dialog.get_by_role("button", name="Send to 2 participants").click()
    expect(dialog).to_contain_text("Sent 2 incentives of $25.00")
    expect(page.locator("#study-available")).to_have_text(dollars(budget.available_minor - 5_000))
    dialog.get_by_role("button", name="Close").click()
    expect(page.locator("#send-dialog")).to_have_count(0)

    # 5. Marie claims from her email's link.
    sent = next(m for m in mail.outbox if "marie.curie@example.test" in m.to[0])
    claim_url = re.search(r"(\S+/claim/\S+/)", sent.body).group(1)
    researcher_state = page.context.storage_state()
    page.context.clear_cookies()
    page.goto(claim_url)
    page.get_by_label("Charity donation").check()
    page.get_by_label("Charity to donate to").fill("Doctors Without Borders")
    page.get_by_role("button", name="Claim $25.00").click()
    expect(page.get_by_role("heading", name="You have claimed $25.00")).to_be_visible()
    page.context.add_cookies(researcher_state["cookies"])

    # 6. Recipients: Marie's row is Claimed (its own colour), Linus's Unclaimed; resend Linus's.
    page.goto(f"{live_server.url}/incentives/recipients/")
    search = page.locator("#id_q")
    search.press_sequentially("curie")
    expect(page.locator("#recipient-table tbody tr")).to_have_count(1)
    expect(page.locator("#recipient-table .badge-claimed")).to_have_text("✓ Claimed")
    search.fill("linus")
    expect(page.locator("#recipient-table tbody tr")).to_have_count(1)
    page.get_by_label("Actions for Linus Pauling").click()
    page.get_by_role("button", name="Resend incentive", exact=True).click()
    page.locator("#confirm-dialog").get_by_role("button", name="Send the reminder").click()
    expect(page.get_by_text("Resent 1 incentive.")).to_be_visible()
    expect(page.locator("#recipient-table tbody tr").first).to_contain_text("1")  # Reminders

    # 7. A relative date filter and shift-select, then cancel in bulk; a claimed one is refused.
    page.locator("#id_q").fill("")
    page.locator("#id_sent").select_option("over_a_year")
    expect(page.locator("#recipient-table tbody tr")).to_have_count(4)
    boxes = page.locator("[data-select-row]")
    boxes.nth(0).click()
    boxes.nth(2).click(modifiers=["Shift"])
    expect(page.locator("[data-selected-count]")).to_have_text("3")
    page.get_by_role("button", name="Cancel incentives").click()
    confirm = page.locator("#confirm-dialog")
    expect(confirm).to_contain_text(f"3 are unclaimed: $75.00 from {budget.name}.")
    confirm.get_by_role("button", name="Cancel 3").click()
    expect(page.get_by_text("Cancelled 3 incentives.")).to_be_visible()

    # 8. Export a filtered selection with chosen columns, under a name of one's own.
    page.locator(".column-chooser summary").click()
    page.locator(".column-chooser").get_by_label("Reminders").uncheck()
    page.locator(".column-chooser").get_by_role("button", name="Show these columns").click()
    page.locator("#id_status").select_option("cancelled")
    expect(page.locator("#recipient-table tbody tr")).to_have_count(3)
    page.locator("[data-select-row]").nth(0).check()
    page.get_by_role("button", name="Export CSV (selected)").click()
    export = page.locator("#export-dialog")
    expect(export.locator("#export-rows")).to_have_text("1 (selected)")
    expect(export).not_to_contain_text("Reminders")
    export.get_by_label("File name").fill("cancelled-old")
    with page.expect_download() as download:
        export.get_by_role("button", name="Download CSV").click()
    assert download.value.suggested_filename == "cancelled-old.csv"
    rows = list(csv.reader(open(download.value.path(), encoding="utf-8")))
    assert rows[0] == ["Participant", "Email", "Study", "Amount", "Currency", "Status", "Sent"] and len(rows) == 2
    assert rows[1][5] == "Cancelled"

    # 9. The budget's page: the figures agree with everything above.
    budget.refresh_from_db()
    budget = Budget.objects.with_accounts().get(pk=budget.pk)
    page.goto(f"{live_server.url}/incentives/budgets/{budget.pk}/")
    expect(page.locator("#budget-available")).to_have_text(dollars(budget.available_minor))
    expect(page.locator("#id_study option")).to_have_count(1 + Study.objects.filter(budget=budget).count())
    assert csp_violations == []
