"""The Recipients tab in a real browser: filter, shift-click a range, cancel, see the money
come back; export and read the file."""

import csv
import datetime
import io
import re

from django.utils import timezone
from playwright.sync_api import expect

from budgets.models import Budget
from studies.models import Study

from ..incentives.factories_recipients import make_incentives

OLD_NAMES = ["Old Ada", "Old Alan", "Old Grace", "Old Hedy", "Old Emmy"]


def available(page, live_server, budget) -> str:
    page.goto(f"{live_server.url}/incentives/budgets/{budget.pk}/")
    return page.locator("#budget-available").inner_text()


def test_filter_shift_select_cancel_and_export(page, live_server, demo, log_in, csp_violations):
    study = Study.objects.get(name="Onboarding interviews")
    budget = Budget.objects.get(pk=study.budget_id)
    make_incentives(study, 5, names=OLD_NAMES, sent_at=timezone.now() - datetime.timedelta(days=400))
    log_in("researcher@acme.test")
    before = available(page, live_server, budget)

    page.goto(f"{live_server.url}/incentives/recipients/")
    page.locator("#id_status").select_option("unclaimed")
    page.locator("#id_sent").select_option("over_a_year")
    rows = page.locator("#recipient-table tbody tr")
    expect(rows).to_have_count(5)
    expect(page).to_have_url(f"{live_server.url}/incentives/recipients/?status=unclaimed&sent=over_a_year")

    boxes = page.locator("[data-select-row]")
    boxes.nth(0).click()
    boxes.nth(2).click(modifiers=["Shift"])
    expect(page.locator("[data-selected-count]")).to_have_text("3")
    for n, checked in enumerate([True, True, True, False, False]):
        expect(boxes.nth(n)).to_be_checked(checked=checked)

    page.get_by_role("button", name="Cancel incentives").click()
    confirm = page.locator("#confirm-dialog")
    expect(confirm).to_contain_text("Cancel the 3 selected incentives? 3 are unclaimed: $75.00 from")
    confirm.get_by_role("button", name="Cancel 3").click()
    expect(page.get_by_text("Cancelled 3 incentives.")).to_be_visible()
    expect(rows).to_have_count(2)  # back on the same filtered table

    page.get_by_role("button", name="Export CSV (all matching)").click()
    with page.expect_download() as download:
        page.get_by_role("button", name="Download CSV").click()
    assert download.value.suggested_filename == f"recipients-{timezone.localdate():%Y-%m-%d}.csv"
    exported = list(csv.reader(io.StringIO(open(download.value.path(), encoding="utf-8").read())))
    assert exported[0] == ["Participant", "Email", "Study", "Amount", "Currency", "Status", "Sent", "Reminders"]
    assert len(exported) == 3 and {row[0] for row in exported[1:]} <= set(OLD_NAMES)
    assert all(row[3:6] == ["25.00", "USD", "Unclaimed"] for row in exported[1:])

    after = available(page, live_server, budget)
    as_cents = lambda text: int(text.replace("$", "").replace(",", "").replace(".", ""))  # noqa: E731
    assert as_cents(after) == as_cents(before) + 7_500
    assert csp_violations == []


def test_select_all_matching_counts_across_pages(page, live_server, demo, log_in):
    study = Study.objects.get(name="Onboarding interviews")
    make_incentives(study, 60, sent_at=timezone.now() - datetime.timedelta(days=400))
    log_in("researcher@acme.test")
    page.goto(f"{live_server.url}/incentives/recipients/?status=unclaimed&sent=over_a_year")
    page.locator("[data-select-page]").click()
    expect(page.locator("[data-selected-count]")).to_have_text("50")
    page.get_by_role("button", name="Select all incentives matching these filters").click()
    expect(page.get_by_text("All 60 matching incentives selected.")).to_be_visible()
    expect(page.locator("[data-selected-count]")).to_have_text("60")
    page.locator("[data-select-row]").nth(0).click()
    expect(page.locator("[data-selected-count]")).to_have_text("59")


def test_sort_and_page_links_swap_only_the_results_and_keep_the_filters_in_the_url(page, live_server, demo, log_in):
    study = Study.objects.get(name="Onboarding interviews")
    make_incentives(study, 55, sent_at=timezone.now() - datetime.timedelta(days=400))
    log_in("researcher@acme.test")
    page.goto(f"{live_server.url}/incentives/recipients/?sent=over_a_year")
    page.locator("#id_q").press_sequentially("Recipient")  # typing filters after a pause
    expect(page).to_have_url(f"{live_server.url}/incentives/recipients/?q=Recipient&sent=over_a_year")
    page.locator("#id_q").evaluate("input => input.dataset.kept = 'yes'")  # gone if the form were re-rendered
    page.get_by_role("link", name="Amount").click()
    expect(page).to_have_url(f"{live_server.url}/incentives/recipients/?q=Recipient&sent=over_a_year&sort=amount")
    expect(page.locator("#recipient-table th.asc")).to_have_text("Amount")  # the sorted table has arrived
    page.get_by_role("link", name="Next").click()  # by cursor: after the page's last row
    expect(page).to_have_url(re.compile(re.escape(f"{live_server.url}/incentives/recipients/?q=Recipient&sent=over_a_year&sort=amount&after=") + r"[\w-]+$"))
    expect(page.locator("#recipient-table tbody tr")).to_have_count(5)
    expect(page.get_by_text("Rows 51–55")).to_be_visible()
    page.get_by_role("link", name="Previous").click()
    expect(page.locator("#recipient-table tbody tr")).to_have_count(50)
    expect(page.get_by_role("link", name="Previous")).to_have_count(0)  # the first page again
    assert page.locator("#id_q").evaluate("input => input.dataset.kept") == "yes"
