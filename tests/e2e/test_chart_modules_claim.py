"""Issue 14 item 13's remainder in a real browser: a budget whose money moved on one day shows a
bar, readable without colour; Offers and Rewards switched off in Settings leave the menu and
their pages are not found; the claim form says once, for each empty field, that it is empty."""

from playwright.sync_api import expect

from tenancy.models import Organization, User

from ..factories import make_budget
from .a11y import axe_violations
from .pages import main_pages
from .shots import shoot


def test_a_one_day_budget_shows_a_bar_with_its_figures_in_words(page, live_server, demo, log_in, tmp_path):
    acme = Organization.objects.get(slug="acme")
    budget = make_budget(acme, name="Diary study 2027", funds_minor=120_000, actor=User.objects.get(email="owner@acme.test"))
    log_in("owner@acme.test")
    page.goto(f"{live_server.url}/incentives/budgets/{budget.pk}/")
    bars = page.locator(".funds-chart g.bar")
    expect(bars).to_have_count(1)
    box = bars.first.locator("rect.segment").bounding_box()
    assert box["width"] > 20 and box["height"] > 100  # a bar, not a vertical line
    expect(page.locator(".chart-legend")).to_contain_text("Available: $1,200.00")
    page.get_by_text("The figures by day").click()
    expect(page.locator(".funds-table tbody tr")).to_have_count(1)
    expect(page.locator(".funds-table tbody tr")).to_contain_text("$1,200.00")
    # Patterns as well as colours: each kind's fill is a different pattern.
    fills = page.locator(".chart-legend svg rect").evaluate_all("rects => rects.map(r => r.getAttribute('fill'))")
    assert len(set(fills)) == 4
    assert axe_violations(page) == []
    page.set_viewport_size({"width": 390, "height": 844})  # the open table scrolls inside itself on a phone
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shoot(page, tmp_path, "budget-one-day-chart")


def test_the_demo_budget_chart_has_a_bar_a_day(page, live_server, demo, log_in, tmp_path):
    log_in("researcher@acme.test")
    page.goto(live_server.url + main_pages()["budget"])
    expect(page.locator(".funds-chart g.bar").first).to_be_visible()
    title = page.locator(".funds-chart g.bar title").last.text_content()
    assert "Available $" in title and "Paid out $" in title
    shoot(page, tmp_path, "budget-chart")


def test_an_owner_switches_offers_off_and_the_menu_item_and_pages_go(page, live_server, demo, log_in, tmp_path):
    log_in("owner@acme.test")
    nav = page.locator("header nav")
    expect(nav.get_by_role("link", name="Offers", exact=True)).to_be_visible()
    page.goto(f"{live_server.url}/organization/settings/")
    modules = page.locator("#modules")
    modules.get_by_label("Offers").uncheck()
    assert axe_violations(page) == []
    shoot(page, tmp_path, "settings-modules")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_text("Settings saved.")).to_be_visible()
    expect(nav.get_by_role("link", name="Offers", exact=True)).to_have_count(0)
    expect(nav.get_by_role("link", name="Rewards", exact=True)).to_be_visible()
    assert page.goto(f"{live_server.url}/provider/incentive-offers/").status == 404
    page.goto(f"{live_server.url}/organization/settings/")
    page.locator("#modules").get_by_label("Offers").check()
    page.get_by_role("button", name="Save settings").click()
    expect(nav.get_by_role("link", name="Offers", exact=True)).to_be_visible()
    assert page.goto(f"{live_server.url}/provider/incentive-offers/").status == 200


def test_the_demo_organization_without_offers_has_no_offers_menu(page, live_server, demo, log_in):
    log_in("owner@globex.test")
    nav = page.locator("header nav")
    expect(nav.get_by_role("link", name="Rewards", exact=True)).to_be_visible()
    expect(nav.get_by_role("link", name="Offers", exact=True)).to_have_count(0)
    assert page.goto(f"{live_server.url}/provider/incentive-offers/").status == 404


def test_the_claim_form_says_once_for_each_empty_field(page, live_server, demo, tmp_path):
    page.goto(live_server.url + main_pages()["claim"])
    page.get_by_label("Bank transfer").check()
    page.get_by_role("button", name="Claim").click()
    fieldset = page.locator('fieldset[data-payout-method="bank_transfer"]')
    expect(fieldset.locator(".errorlist li")).to_have_count(2)  # account holder and IBAN; BIC is optional
    for label in ("Account holder", "IBAN or account number"):
        field = fieldset.get_by_label(label)
        expect(field).to_have_attribute("aria-invalid", "true")
        described = field.get_attribute("aria-describedby")
        expect(page.locator(f"#{described} li")).to_have_text("Please fill this in for the payout method you chose.")
    expect(page.get_by_text("Please fill this in for the payout method you chose.")).to_have_count(2)
    assert axe_violations(page) == []
    shoot(page, tmp_path, "claim-empty-fields")
