from playwright.sync_api import expect


def test_demo_researcher_logs_in_and_sees_the_budgets(page, live_server, demo, log_in, csp_violations):
    log_in("researcher@acme.test")
    expect(page.get_by_role("heading", name="Incentives")).to_be_visible()
    expect(page.get_by_role("link", name="Customer interviews 2026")).to_be_visible()
    expect(page.get_by_text("$5,000.00").first).to_be_visible()
    assert "Globex panel" not in page.content()
    assert csp_violations == []


def test_a_wrong_password_is_refused_with_a_message(page, live_server, demo, log_in):
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Email").fill("researcher@acme.test")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("correct email")
