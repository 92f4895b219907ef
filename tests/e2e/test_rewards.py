from playwright.sync_api import expect


def test_a_redemption_on_one_participant_lowers_the_shared_balance_on_another(page, live_server, demo, log_in, csp_violations):
    log_in("owner@acme.test")
    page.get_by_role("link", name="Rewards").first.click()
    page.get_by_role("link", name="Ana Lopez").click()
    balance = page.locator('[data-balance="available-USD"]')
    expect(balance).to_have_text("$130.00")

    row = page.locator("tr", has_text="RW-1001")
    row.get_by_label("Amount to redeem (USD)").fill("12.00")
    row.get_by_role("button", name="Redeem").click()
    expect(page.get_by_text("Redeemed $12.00; $38.00 of this reward is left.")).to_be_visible()
    expect(balance).to_have_text("$118.00")

    page.get_by_role("link", name="Chloe Kim").click()
    expect(page.get_by_role("heading", name="Chloe Kim")).to_be_visible()
    expect(page.locator('[data-balance="available-USD"]')).to_have_text("$118.00")
    page.locator("tr", has_text="RW-1001").get_by_text("History").click()
    expect(page.locator("tr", has_text="RW-1001").get_by_text("owner@acme.test")).to_be_visible()
    assert csp_violations == []


def test_the_participants_list_filters_as_you_type(page, live_server, demo, log_in):
    log_in("viewer@acme.test")
    page.goto(f"{live_server.url}/rewards/")
    page.get_by_label("Search").fill("contoso")
    expect(page.get_by_role("link", name="Ana Lopez")).to_have_count(0)
    expect(page.get_by_role("link", name="Dan Brooks")).to_be_visible()
    assert "q=contoso" in page.url
