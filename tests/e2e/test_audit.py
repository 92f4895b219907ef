import datetime
import re

from playwright.sync_api import expect


def test_an_owner_finds_their_redemption_in_the_audit_log_by_filtering(page, live_server, demo, log_in, csp_violations):
    log_in("owner@acme.test")
    page.goto(f"{live_server.url}/rewards/")
    page.get_by_role("link", name="Ana Lopez").click()
    row = page.locator("tr", has_text="RW-1001")
    row.get_by_label("Amount to redeem (USD)").fill("12.00")
    row.get_by_role("button", name="Redeem", exact=True).click()
    page.locator("#confirm-dialog").get_by_role("button", name="Redeem $12.00").click()  # redeeming is confirmed
    expect(page.get_by_text("Redeemed $12.00; $38.00 of this reward is left.")).to_be_visible()

    page.locator("nav details.dropdown summary").last.click()  # the user menu
    page.get_by_role("link", name="Audit log").click()
    expect(page.get_by_role("heading", name="Audit log")).to_be_visible()
    results = page.locator("#results")

    page.get_by_label("Actor").fill("owner@")
    expect(page).to_have_url(re.compile(r"actor=owner%40"))
    expect(results.locator("tbody tr").first).to_contain_text("owner@acme.test")
    page.get_by_label("Object type").select_option(label="Redemption")
    expect(page).to_have_url(re.compile(r"object_type=rewards.redemption"))
    expect(results.locator("tbody tr")).to_have_count(1)
    expect(results.locator("tbody tr")).to_contain_text("Created")
    expect(results.locator("tbody tr")).to_contain_text("127.0.0.1")

    tomorrow = (datetime.date.today() + datetime.timedelta(days=1)).isoformat()
    page.get_by_label("From").fill(tomorrow)
    page.get_by_label("From").dispatch_event("change")
    expect(results).to_contain_text("No changes match.")
    assert csp_violations == []


def test_an_accounts_history_opens_from_its_page(page, live_server, demo, log_in):
    log_in("owner@acme.test")
    page.goto(f"{live_server.url}/rewards/")
    page.get_by_role("link", name="Ana Lopez").click()
    page.get_by_role("link", name="Account history").click()
    expect(page.get_by_role("heading", name="Audit log: Reward account #")).to_be_visible()
    expect(page.locator("#results tbody tr").first).to_be_visible()
