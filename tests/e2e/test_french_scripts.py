"""The words the page scripts write are French too (Django's JavaScript catalogue, /jsi18n/):
the Recipients page's export button follows the selection in French."""

import pytest
from playwright.sync_api import expect

from .test_rewards_fr import se_connecter  # noqa: F401 (the French log-in fixture)


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "fr-FR"}


def test_the_recipients_scripts_speak_french(page, live_server, demo, se_connecter, csp_violations):  # noqa: F811
    se_connecter("owner@acme.test")
    page.goto(f"{live_server.url}/incentives/recipients/")
    export = page.locator("[data-export]")
    expect(export).to_have_text("Exporter en CSV (tout ce qui correspond)")
    page.locator("[data-select-row]").first.check()
    expect(export).to_have_text("Exporter en CSV (la sélection)")
    assert csp_violations == []
