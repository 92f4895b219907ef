"""The Recipients table as a research-ops person uses it (issue 14, items 1, 2, 5, 6 and 13):
search as you type that never eats the next click, status badges with colour and a shape,
no error before a date is chosen, confirm dialogs that name count, amount and budget, and the
export pop-up."""

import csv
import datetime
import re

from django.utils import timezone
from playwright.sync_api import expect

from budgets.models import Budget
from core.models import OutboundEmail
from incentives.models import Incentive
from studies.models import Study

from ..incentives.factories_recipients import make_incentives

NAMES = ["Old Ada", "Old Alan", "Old Grace", "Old Hedy", "Old Emmy"]
RECIPIENTS = "/incentives/recipients/"


def old_incentives(n=5):
    study = Study.objects.get(name="Onboarding interviews")
    make_incentives(study, n, names=NAMES[:n], sent_at=timezone.now() - datetime.timedelta(days=400))
    return study


def test_typing_a_search_filters_as_you_type_and_the_next_click_lands(page, live_server, demo, log_in):
    old_incentives()
    log_in("researcher@acme.test")
    page.goto(f"{live_server.url}{RECIPIENTS}?sent=over_a_year")
    search = page.locator("#id_q")
    search.click()
    search.press_sequentially("hedy")
    expect(page).to_have_url(f"{live_server.url}{RECIPIENTS}?q=hedy&sent=over_a_year")  # no Enter, no blur
    expect(search).to_be_focused()
    rows = page.locator("#recipient-table tbody tr")
    expect(rows).to_have_count(1)
    requests = []
    page.on("request", lambda request: RECIPIENTS in request.url and requests.append(request.url))
    box = page.get_by_label("Select Old Hedy")
    box.click()  # leaves the search box: the table stays as it is
    expect(box).to_be_checked()
    expect(page.locator("[data-selected-count]")).to_have_text("1")
    page.wait_for_timeout(500)
    assert requests == []
    page.get_by_label("Actions for Old Hedy").click()
    expect(page.get_by_role("button", name="Resend incentive", exact=True)).to_be_visible()


def test_a_search_that_arrives_after_a_tick_keeps_the_tick_and_the_focus(page, live_server, demo, log_in):
    old_incentives()
    log_in("researcher@acme.test")
    page.goto(f"{live_server.url}{RECIPIENTS}?sent=over_a_year")
    page.get_by_label("Select Old Hedy").check()
    search = page.locator("#id_q")
    search.fill("Old H")
    expect(page.locator("#recipient-table tbody tr")).to_have_count(1)
    expect(page.get_by_label("Select Old Hedy")).to_be_checked()
    expect(search).to_be_focused()
    expect(page.locator("[data-selected-count]")).to_have_text("1")


def test_status_badges_have_their_colours_and_a_shape_beside_the_word(page, live_server, demo, log_in):
    old_incentives(3)
    claimed, cancelled = Incentive.objects.filter(participant__name__in=NAMES[:2]).order_by("participant__name")
    Incentive.objects.filter(pk=claimed.pk).update(status="claimed")
    Incentive.objects.filter(pk=cancelled.pk).update(status="cancelled")
    log_in("owner@acme.test")
    page.goto(f"{live_server.url}{RECIPIENTS}?sent=over_a_year")
    colours = {}
    for status in ("Unclaimed", "Claimed", "Cancelled"):
        badge = page.locator("#recipient-table .badge", has_text=re.compile(f"^. {status}$")).first
        expect(badge).to_be_visible()
        colours[status] = badge.evaluate("b => getComputedStyle(b).backgroundColor")
    assert len(set(colours.values())) == 3, colours
    expect(page.locator("#recipient-table .badge-claimed").first).to_have_text("✓ Claimed")


def test_choosing_before_a_date_waits_for_the_date_and_names_the_field_on_submit(page, live_server, demo, log_in):
    old_incentives(2)
    log_in("researcher@acme.test")
    page.goto(f"{live_server.url}{RECIPIENTS}")
    page.locator("#id_sent").select_option("before")
    page.wait_for_timeout(400)
    expect(page.locator("#results [role=alert]")).to_have_count(0)
    expect(page.get_by_text("Sent_date")).to_have_count(0)
    page.locator("#id_q").press("Enter")  # a submit asks the server, which names the field
    expect(page.locator("#results [role=alert]")).to_have_text("Date: Choose the date.")
    page.locator("#id_sent_date").fill((timezone.localdate() - datetime.timedelta(days=300)).isoformat())
    expect(page.locator("#results [role=alert]")).to_have_count(0)
    expect(page.locator("#recipient-table tbody tr")).to_have_count(2)


def test_row_resend_and_cancel_ask_with_the_amount_and_budget(page, live_server, demo, log_in):
    study = old_incentives(1)
    budget = Budget.objects.with_accounts().get(pk=study.budget_id)
    log_in("researcher@acme.test")
    page.goto(f"{live_server.url}{RECIPIENTS}?sent=over_a_year")
    emails = OutboundEmail.objects.count()
    confirm = page.locator("#confirm-dialog")
    page.get_by_label("Actions for Old Ada").click()
    page.get_by_role("button", name="Resend incentive", exact=True).click()
    expect(confirm).to_contain_text(f"Send Old Ada a reminder email for the $25.00 incentive from {budget.name}")
    confirm.get_by_role("button", name="Don’t send").click()
    assert OutboundEmail.objects.count() == emails
    page.get_by_role("button", name="Cancel incentive", exact=True).click()  # the menu is still open
    expect(confirm).to_contain_text(f"Cancel the $25.00 incentive for Old Ada? $25.00 returns to {budget.name} at once.")
    confirm.get_by_role("button", name="Cancel the incentive").click()
    expect(page.get_by_text("Cancelled 1 incentive.")).to_be_visible()
    assert Incentive.objects.get(participant__name="Old Ada").status == "cancelled"


def test_bulk_resend_and_cancel_ask_with_count_amount_and_budget(page, live_server, demo, log_in):
    study = old_incentives(3)
    budget = Budget.objects.with_accounts().get(pk=study.budget_id)
    log_in("researcher@acme.test")
    page.goto(f"{live_server.url}{RECIPIENTS}?sent=over_a_year")
    page.locator("[data-select-page]").click()
    confirm = page.locator("#confirm-dialog")
    page.get_by_role("button", name="Resend incentives").click()
    expect(confirm).to_contain_text(f"each of the 3 selected incentives that is still unclaimed? 3 are unclaimed: $75.00 from {budget.name}.")
    confirm.get_by_role("button", name="Don’t send").click()
    page.get_by_role("button", name="Cancel incentives").click()
    expect(confirm).to_contain_text(f"Cancel the 3 selected incentives? 3 are unclaimed: $75.00 from {budget.name}.")
    confirm.get_by_role("button", name="Cancel 3").click()
    expect(page.get_by_text("Cancelled 3 incentives.")).to_be_visible()
    assert Incentive.objects.filter(participant__name__in=NAMES, status="cancelled").count() == 3


def test_select_all_matching_confirms_with_the_servers_totals(page, live_server, demo, log_in):
    study = old_incentives(3)
    budget = Budget.objects.with_accounts().get(pk=study.budget_id)
    log_in("researcher@acme.test")
    page.goto(f"{live_server.url}{RECIPIENTS}?sent=over_a_year")
    page.locator("[data-select-page]").click()
    page.get_by_role("button", name="Select all incentives matching these filters").click()
    expect(page.get_by_text("All 3 matching incentives selected.")).to_be_visible()
    page.get_by_role("button", name="Cancel incentives").click()
    expect(page.locator("#confirm-dialog")).to_contain_text(f"3 are unclaimed: $75.00 from {budget.name}.")


def test_export_opens_a_pop_up_with_rows_columns_and_a_file_name(page, live_server, demo, log_in):
    old_incentives(3)
    log_in("researcher@acme.test")
    page.goto(f"{live_server.url}{RECIPIENTS}?sent=over_a_year")
    page.locator("#id_q").fill("Old A")  # after filtering, the button says what it exports
    expect(page.locator("#recipient-table tbody tr")).to_have_count(2)
    export = page.get_by_role("button", name="Export CSV (all matching)")
    export.click()
    dialog = page.locator("#export-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator("#export-rows")).to_have_text("2 (everything the filters match)")
    expect(dialog).to_contain_text("Participant, Email, Study, Amount, Currency, Status, Sent, Reminders")
    name = dialog.get_by_label("File name")
    expect(name).to_be_focused()
    name.fill("old a's export")
    with page.expect_download() as download:
        dialog.get_by_role("button", name="Download CSV").click()
    assert download.value.suggested_filename == "old-a-s-export.csv"
    rows = list(csv.reader(open(download.value.path(), encoding="utf-8")))
    assert len(rows) == 3 and {row[0] for row in rows[1:]} == {"Old Ada", "Old Alan"}
    expect(dialog).to_be_hidden()

    page.get_by_label("Select Old Ada").check()
    page.get_by_role("button", name="Export CSV (selected)").click()
    expect(dialog.locator("#export-rows")).to_have_text("1 (selected)")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()


def test_a_budgets_study_filter_lists_only_that_budgets_studies(page, live_server, demo, log_in):
    budget = Budget.objects.get(name="EU usability tests")
    log_in("owner@acme.test")
    page.goto(f"{live_server.url}/incentives/budgets/{budget.pk}/")
    options = page.locator("#id_study option").all_inner_texts()
    assert options == ["Any study", "Checkout usability test"]


def test_a_researcher_sees_that_a_reminder_went_out_on_the_incentives_page(page, live_server, demo, log_in):
    old_incentives(1)
    log_in("researcher@acme.test")
    page.goto(f"{live_server.url}{RECIPIENTS}?sent=over_a_year")
    page.get_by_label("Actions for Old Ada").click()
    page.get_by_role("button", name="Resend incentive", exact=True).click()
    page.locator("#confirm-dialog").get_by_role("button", name="Send the reminder").click()
    expect(page.get_by_text("Resent 1 incentive.")).to_be_visible()
    page.get_by_role("link", name="Old Ada").click()
    emails = page.locator("#incentive-emails tbody tr")
    expect(emails.filter(has_text="Reminder:")).to_have_count(1)
    assert page.goto(f"{live_server.url}/outbox/").status == 403  # the organization's outbox stays for managers
