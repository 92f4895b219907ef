"""Registering a webhook endpoint in the browser: the secret is shown once, then never again,
and the page that shows it is not cached."""

import re

from playwright.sync_api import expect

from tenancy.models import Membership
from webhooks.models import WebhookEndpoint

from ..factories import OrganizationFactory, member


def test_an_owner_registers_an_endpoint_and_sees_its_secret_once(page, live_server, transactional_db, log_in, csp_violations):
    organization = OrganizationFactory(name="Acme Research", slug="acme-hooks")
    owner = member(organization, Membership.Role.OWNER, email="hooks-owner@acme.test", password="demo12345")
    log_in(owner.email)

    page.goto(f"{live_server.url}/organization/settings/")
    page.get_by_role("link", name="Webhooks").click()
    page.get_by_label("Endpoint URL").fill("http://127.0.0.1:9/hooks")
    page.get_by_label("Description").fill("Our CRM")
    page.get_by_label("incentive.claimed").check()
    page.get_by_label("reward.created").check()
    with page.expect_response(lambda response: "/secret/" in response.url) as shown:
        page.get_by_role("button", name="Add endpoint").click()
    assert "no-store" in shown.value.headers["cache-control"]

    secret = page.locator("#webhook-secret")
    expect(secret).to_have_text(re.compile(r"^whsec_[A-Za-z0-9+/]{43}=$"))
    value = secret.inner_text()
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.events == ["incentive.claimed", "reward.created"]

    page.reload()
    expect(page.locator("#secret-gone")).to_be_visible()
    assert value not in page.content()

    page.get_by_role("link", name="Back to webhooks").click()
    expect(page.get_by_role("link", name="http://127.0.0.1:9/hooks")).to_be_visible()
    assert value not in page.content()

    page.get_by_role("link", name="http://127.0.0.1:9/hooks").click()
    page.get_by_role("button", name="Disable").click()
    page.get_by_role("dialog").get_by_role("button", name="Disable").click()
    expect(page.get_by_text("Nothing more is sent to http://127.0.0.1:9/hooks.")).to_be_visible()
    endpoint.refresh_from_db()
    assert not endpoint.is_enabled
    assert csp_violations == []
