"""Accessibility and screenshots of the main pages of the three areas (issue 14, "Prove it"):
axe-core finds no serious or critical violation on any of them (the send wizard open, too), and
each is photographed at desktop and phone widths. The suite writes them to a temporary folder;
`GRATIA_SCREENSHOTS=docs/screenshots` refreshes the README's (docs/testing.md)."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from studies.models import Study

from .a11y import axe_violations
from .pages import main_pages

WIDTHS = {"desktop": (1440, 900), "phone": (390, 844)}
PUBLIC = ("claim", "recipient-offer")
# The API docs page is Swagger UI's, served by django-ninja's template: its own markup's findings
# (its colours, its nested buttons, ninja's <html> without lang) are not ours to fix here.
THIRD_PARTY = {"api-docs": ("color-contrast", "nested-interactive", "html-has-lang")}


def visit(page, live_server, path):
    page.goto(f"{live_server.url}{path}")
    page.wait_for_load_state("networkidle")


def open_send_wizard(page, live_server):
    study = Study.objects.get(name="Onboarding interviews")
    visit(page, live_server, f"/studies/{study.pk}/")
    panel = page.locator("#panel")
    panel.get_by_label("Select Linus Pauling").check()
    panel.get_by_label("Select Marie Curie").check()
    panel.get_by_text("Actions").click()
    panel.get_by_role("button", name="Send Incentives").click()
    expect(page.locator("#send-dialog")).to_be_visible()


def test_no_serious_or_critical_accessibility_violations_on_the_main_pages(page, live_server, demo, log_in, capsys):
    pages = main_pages()
    found = {}
    for name in PUBLIC:  # as the participant or recipient sees them: no session
        visit(page, live_server, pages[name])
        found[name] = axe_violations(page)
    visit(page, live_server, "/login/")
    found["login"] = axe_violations(page)
    log_in("owner@acme.test")
    for name, path in pages.items():
        if name not in PUBLIC:
            visit(page, live_server, path)
            found[name] = axe_violations(page)
    open_send_wizard(page, live_server)
    found["send-wizard"] = axe_violations(page)
    bad = {}
    for name, violations in found.items():
        ours = [v for v in violations if not v.startswith(THIRD_PARTY.get(name, ()))]
        if ours:
            bad[name] = ours
    with capsys.disabled():
        print(f"\n[axe] {len(found)} pages, {sum(map(len, bad.values()))} serious or critical violations")
        for name, violations in bad.items():
            for violation in violations:
                print(f"    {name}: {violation}")
    assert bad == {}


@pytest.mark.parametrize("form_factor", WIDTHS)
def test_screenshots_of_the_main_pages(page, live_server, demo, log_in, form_factor, tmp_path):
    folder = Path(os.environ.get("GRATIA_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    width, height = WIDTHS[form_factor]
    page.set_viewport_size({"width": width, "height": height})
    pages = main_pages()
    for name in PUBLIC:
        visit(page, live_server, pages[name])
        page.screenshot(path=folder / f"{name}-{form_factor}.png", full_page=True)
    log_in("owner@acme.test")
    for name in ("studies", "study", "budgets", "recipients", "budget", "offers", "reward-participants"):
        visit(page, live_server, pages[name])
        page.screenshot(path=folder / f"{name}-{form_factor}.png", full_page=True)
    open_send_wizard(page, live_server)
    page.screenshot(path=folder / f"send-wizard-{form_factor}.png")
    visit(page, live_server, pages["recipients"])
    page.locator("[data-select-row]").nth(0).check()
    page.locator("[data-select-row]").nth(1).check()
    page.get_by_role("button", name="Cancel incentives").click()
    expect(page.locator("#confirm-dialog")).to_be_visible()
    page.screenshot(path=folder / f"bulk-cancel-confirm-{form_factor}.png")
