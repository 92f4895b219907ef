"""Keyboard only, and three widths (issue 14, item 9 and "Prove it"): a bulk cancel done with the
keyboard alone; pages that fit 1280 and 1440 px desktops and a 390 px phone, the header's user
menu on screen everywhere; the Recipients table with every column scrolls in its box."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from core.models import TablePreference
from incentives.models import Incentive
from incentives.tables import RecipientTable
from studies.models import Study
from tenancy.models import User

from ..incentives.factories_recipients import make_incentives
from .pages import main_pages

NAMES = ["Old Ada", "Old Alan", "Old Grace"]


def tab_to(page, selector, *, backwards=False, limit=80):
    """Press Tab (Shift+Tab) until the focused element matches `selector`."""
    for _ in range(limit):
        if page.evaluate("(s) => document.activeElement?.matches(s)", selector):
            return
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
    raise AssertionError(f"Tab never reached {selector}")


def test_a_bulk_cancel_done_with_the_keyboard_alone(page, live_server, demo, log_in):
    study = Study.objects.get(name="Onboarding interviews")
    make_incentives(study, 3, names=NAMES, sent_at=timezone.now() - datetime.timedelta(days=400))
    log_in("researcher@acme.test")
    page.goto(f"{live_server.url}/incentives/recipients/?sent=over_a_year")
    tab_to(page, "[aria-label='Select Old Ada']")
    page.keyboard.press("Space")
    tab_to(page, "[aria-label='Select Old Alan']")
    page.keyboard.press("Space")
    expect(page.locator("[data-selected-count]")).to_have_text("2")
    tab_to(page, "button[formaction$='/bulk/cancel/']", backwards=True)
    page.keyboard.press("Enter")
    confirm = page.locator("#confirm-dialog")
    expect(confirm).to_contain_text("Cancel the 2 selected incentives? 2 are unclaimed: $50.00 from")
    expect(confirm.get_by_role("button", name="Keep them")).to_be_focused()
    page.keyboard.press("Tab")
    expect(confirm.get_by_role("button", name="Cancel 2")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_text("Cancelled 2 incentives.")).to_be_visible()
    assert set(Incentive.objects.filter(status="cancelled", participant__name__in=NAMES).values_list("participant__name", flat=True)) == {"Old Ada", "Old Alan"}


def fits(page) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1")


@pytest.mark.parametrize("width", [390, 1280, 1440])
def test_every_main_page_fits_the_width_and_keeps_the_user_menu_on_screen(page, live_server, demo, log_in, width):
    page.set_viewport_size({"width": width, "height": 900})
    owner = User.objects.get(email="owner@acme.test")
    TablePreference.objects.create(user=owner, table="RecipientTable", columns=[name for name, _ in RecipientTable.choosable_columns()])
    log_in(owner.email)
    overflowing, menu_off = [], []
    for name, path in main_pages().items():
        if name in ("claim", "recipient-offer", "api-docs"):
            continue  # public pages have no app header; the API docs are Swagger's own page
        page.goto(f"{live_server.url}{path}")
        if not fits(page):
            overflowing.append(name)
        menu = page.locator(".app-header details.dropdown > summary").bounding_box()
        if menu is None or menu["x"] < 0 or menu["x"] + menu["width"] > width + 1:
            menu_off.append(name)
    assert overflowing == [] and menu_off == []

    # The user menu opens on screen with Settings and Log out reachable.
    page.locator(".app-header details.dropdown > summary").click()
    for item in ("Settings", "Log out"):
        box = page.locator(".app-header details.dropdown").get_by_role("link" if item == "Settings" else "button", name=item).bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= width + 1, item


@pytest.mark.parametrize("width", [1280, 1440])
def test_the_recipients_table_with_every_column_scrolls_in_its_box_and_labels_fit(page, live_server, demo, log_in, width):
    page.set_viewport_size({"width": width, "height": 900})
    owner = User.objects.get(email="owner@acme.test")
    TablePreference.objects.create(user=owner, table="RecipientTable", columns=[name for name, _ in RecipientTable.choosable_columns()])
    log_in(owner.email)
    page.goto(f"{live_server.url}/incentives/recipients/")
    assert fits(page)
    claimed = page.locator("#recipient-table th", has_text="Claimed")
    claimed.scroll_into_view_if_needed()
    expect(claimed).to_be_in_viewport()
    # Nothing of a filter's label or placeholder is cut: each control is wide enough for its text.
    cut = page.evaluate("""() => [...document.querySelectorAll('#recipient-filters input, #recipient-filters select')]
        .filter(el => el.offsetParent !== null)
        .filter(el => { const c = document.createElement('canvas').getContext('2d'); c.font = getComputedStyle(el).font;
            const text = el.tagName === 'SELECT' ? el.options[el.selectedIndex]?.text || '' : el.placeholder || '';
            return c.measureText(text).width > el.clientWidth - 40; }).map(el => el.id)""")
    assert cut == []
