"""Every GET page of the project, as the demo owner, in headless Chromium: 0 violations of
the Content-Security-Policy (no inline scripts, handlers or styles anywhere).

Pages come from the resolver (new URLs are covered without editing this test), ids from the
demo data, tokens of the public pages from the demo's nonces.
"""

from django.test import Client

from tenancy.models import Organization, User

from ..reliability.test_tenant_sweep import PARAMETER, candidates, fill, routes, sample_ids
from ..reliability.test_tokens import working_tokens

# Caught in the page itself, so nothing depends on how the browser words its console message.
RECORD_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.cspViolations.push(`${event.violatedDirective} ${event.blockedURI || "inline"} ${event.sourceFile}:${event.lineNumber}`);
});
"""
TOKEN_KINDS = {"offer-link/": "offer-link", "widget/": "widget", "claim/": "claim", "offer/": "offer"}


def html_page(client, url) -> bool:
    response = client.get(url)
    return response.status_code == 200 and response.get("Content-Type", "").startswith("text/html")


def pages(owner, organization) -> list[str]:
    """Every route's URL that shows the owner an HTML page: ids of the demo's rows, tokens of its links."""
    client = Client()
    client.force_login(owner)
    samples, tokens = sample_ids(organization), working_tokens(organization)
    found = []
    for route in routes():
        if "<str:token>" in route:
            kind = next(kind for prefix, kind in TOKEN_KINDS.items() if route.startswith(prefix))
            url = "/" + route.replace("<str:token>", tokens[kind][0])
            found += [url] if html_page(Client(), url) else []
        elif not PARAMETER.search(route):
            found += [fill(route, "")] if html_page(client, fill(route, "")) else []
        else:
            found += next(([fill(route, pk)] for pk in candidates(route, samples) if html_page(client, fill(route, pk))), [])
    return found


def test_every_page_satisfies_the_content_security_policy(page, live_server, demo, log_in, csp_violations, capsys):
    owner = User.objects.get(email="owner@acme.test")
    urls = pages(owner, Organization.objects.get(slug="acme"))
    page.add_init_script(RECORD_VIOLATIONS)
    log_in(owner.email)
    # The recorder is not blind: an inline style attribute on a page of ours is reported.
    page.evaluate("document.body.setAttribute('style', 'color: red')")
    page.wait_for_function("window.cspViolations.length === 1")
    violations = []
    for url in urls:
        page.goto(f"{live_server.url}{url}")
        page.wait_for_load_state("networkidle")
        violations += [f"{url}: {v}" for v in page.evaluate("window.cspViolations || []")]
    violations += csp_violations
    with capsys.disabled():
        print(f"\n[csp] {len(urls)} pages visited as the demo owner, {len(violations)} violations")
        for violation in violations:
            print("   ", violation)
    assert len(urls) >= 35
    assert violations == []
