"""A page reached by a secret token sends no Referer with anything it loads, so the token in
its address never reaches another server's logs (or our own static files' logs)."""

from django.urls import reverse

from tenancy.models import Organization

from ..reliability.test_tokens import working_tokens


def referers(page, url) -> list[tuple[str, str | None]]:
    """(address, Referer header) of every request the page at `url` makes besides itself."""
    finished = []

    def record(request):
        finished.append(request)

    page.on("requestfinished", record)
    page.goto(url)
    page.wait_for_load_state("networkidle")
    page.remove_listener("requestfinished", record)
    return [(request.url, request.all_headers().get("referer")) for request in finished if request.url != url]


def test_token_pages_send_no_referer_with_their_subresources(page, live_server, demo, capsys):
    tokens = working_tokens(Organization.objects.get(slug="acme"))
    # The check can see a Referer: an ordinary page sends one with its stylesheets and scripts.
    control = referers(page, f"{live_server.url}{reverse('login')}")
    assert control and all(referer for _, referer in control)

    loaded = []
    for name, kind in (("incentives:claim", "claim"), ("offers:recipient", "offer"), ("offers:link", "offer-link"), ("offers:widget_frame", "widget")):
        loaded += referers(page, f"{live_server.url}{reverse(name, args=[tokens[kind][0]])}")
    with_referer = [(url, referer) for url, referer in loaded if referer]
    with capsys.disabled():
        print(f"\n[referer] 4 token pages loaded {len(loaded)} subresources, {len(with_referer)} with a Referer "
              f"(the login page: {len(control)} of {len(control)} with one)")
    assert loaded and with_referer == []
