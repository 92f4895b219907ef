"""The provider offer journey, end to end: a link from a template, a counter, a claim,
a distribution, an acknowledgement and the widget on another site."""

import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect


@pytest.fixture
def partner_site():
    """Another website (another origin, on the loopback address) that serves `html`."""
    site = SimpleNamespace(html="")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            body = site.html.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    site.url = f"http://127.0.0.1:{server.server_port}/"
    yield site
    server.shutdown()


def transition(page, button_name, **fields):
    form = page.locator("form.transition", has=page.get_by_role("button", name=button_name, exact=True))
    for name, value in fields.items():
        form.locator(f"[name={name}]").fill(value)
    form.get_by_role("button", name=button_name, exact=True).click()


def test_link_offer_from_template_to_widget(page, browser, live_server, demo, log_in, csp_violations, partner_site):
    log_in("provider@acme.test")
    page.get_by_role("link", name="Offers", exact=True).click()
    page.get_by_role("link", name="Link Templates").click()
    row = page.get_by_role("row", name=re.compile("Conference booth thank-you"))
    row.get_by_role("button", name="Make link").click()
    expect(page.locator("#offer-status")).to_have_text("Offered")
    offer_url = page.url
    link = page.locator("#share-link").inner_text()

    # The recipient: a fresh browser, nobody logged in.
    visitor_context = browser.new_context()
    visitor = visitor_context.new_page()
    visitor.goto(link)
    expect(visitor.get_by_role("heading", name="Take this offer")).to_be_visible()
    visitor.get_by_label("Your name").fill("Vera Visitor")
    visitor.get_by_label("Your email").fill("vera@example.test")
    visitor.get_by_role("button", name="Continue").click()
    expect(visitor.get_by_text("Hello Vera Visitor.")).to_be_visible()
    transition(visitor, "Counter", value="40.00", note="I came twice")
    expect(visitor.locator("#offer-status")).to_have_text("Counter")
    expect(visitor.locator("#offer-proposed")).to_have_text("$40.00")

    # The provider accepts the counter.
    page.goto(offer_url)
    expect(page.locator("#offer-proposed")).to_have_text("$40.00")
    transition(page, "Accept counter")
    expect(page.locator("#offer-status")).to_have_text("Approved")
    expect(page.locator("#offer-value")).to_have_text("$40.00")

    # The recipient claims; the provider confirms.
    visitor.reload()
    transition(visitor, "Claim")
    expect(visitor.locator("#offer-status")).to_have_text("Pre Claimed")
    page.reload()
    transition(page, "Confirm claim")
    expect(page.locator("#offer-status")).to_have_text("Claimed")

    # A distribution is recorded, then the offer is completed.
    page.get_by_role("link", name="Distributions").click()
    record = page.locator("form", has=page.get_by_role("button", name="Record distribution"))
    record.get_by_label("Amount (USD)").fill("40.00")
    record.get_by_label("Method").select_option("gift_card")
    record.get_by_label("Reference").fill("GC-4040")
    record.get_by_role("button", name="Record distribution").click()
    expect(page.locator("#distributed-total")).to_have_text("$40.00")
    expect(page.get_by_role("cell", name="GC-4040")).to_be_visible()
    page.get_by_role("link", name="Details").click()
    transition(page, "Mark completed")
    expect(page.locator("#offer-status")).to_have_text("Completed")

    # The recipient acknowledges it, in their own words.
    visitor.reload()
    transition(visitor, "Acknowledge", acknowledgement_name="Vera", note="Lovely <b>surprise</b>, thank you!")
    expect(visitor.locator("#offer-status")).to_have_text("Acknowledged")
    visitor_context.close()

    # The provider copies the widget snippet and a partner site shows it.
    page.reload()
    expect(page.get_by_text("Acknowledged").first).to_be_visible()
    page.get_by_role("link", name="Widget").click()
    snippet = page.locator("#snippet-script").inner_text()
    assert "vera@example.test" not in snippet
    partner_site.html = f"<!doctype html><html><body><h1>Our happy partners</h1>{snippet}</body></html>"
    page.goto(partner_site.url)
    card = page.frame_locator("iframe.gratia-acknowledgement")
    expect(card.get_by_text("Lovely <b>surprise</b>, thank you!", exact=False)).to_be_visible()
    expect(card.get_by_text("Vera")).to_be_visible()
    assert "vera@example.test" not in page.frames[-1].content()
    assert csp_violations == []


def test_my_offers_filters_without_reloading_and_each_row_has_its_menu(page, live_server, demo, log_in, csp_violations):
    log_in("provider@acme.test")
    page.goto(f"{live_server.url}/provider/incentive-offers/")
    page.evaluate("window.notReloaded = true")
    page.get_by_role("combobox").filter(has_text="Any status").select_option("acknowledged")
    expect(page.locator("#offer-count")).to_contain_text("1 offer ")
    assert page.evaluate("window.notReloaded") is True and "status=acknowledged" in page.url
    page.get_by_role("row").nth(1).locator("summary").click()
    expect(page.get_by_role("link", name="Embed Acknowledgement Widget")).to_be_visible()
    expect(page.get_by_role("link", name="Edit Incentive Offer")).to_have_count(0)
    page.get_by_role("searchbox").fill("Quinn")
    row = page.get_by_role("row", name=re.compile("Quinn Example"))
    offer_id = row.get_by_role("link").first.inner_text()
    row.get_by_role("link").first.click()
    expect(page.get_by_role("heading", name=re.compile(f"Incentive Offer #{offer_id}"))).to_be_visible()
    assert csp_violations == []
