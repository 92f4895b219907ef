"""Hostile values in every query parameter, form field and upload of the demo, and an
oversized body to every API operation: each answer is a page or a clear 4xx, never a 500.

The payloads are those that were 500s: a page number past BIGINT (`999999999999999999`), a NUL
byte (PostgreSQL refuses it in text), a 900,000-character value (past the csv module's field
limit); the API gets a 3 MB JSON body (past DATA_UPLOAD_MAX_MEMORY_SIZE) and must answer a JSON
413. The pages, their forms and their parameters are found by crawling: every GET route the
demo owner can open, every <form> and link on it.
"""

import json
from collections import Counter
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import Resolver404, resolve, reverse

from tenancy.services import api_key_create

from .helpers import report
from .test_hostile_input import concrete_urls, demo_world, every_route, fill_any, logged_in, public_tokens  # noqa: F401
from .test_tenant_sweep import sample_ids

PAYLOADS = {"huge number": "999999999999999999", "NUL byte": "a\x00b", "900,000 characters": "x" * 900_000}
# Parameters every list page reads, whether or not a link on the page shows them.
ALWAYS = {"page", "per_page", "sort", "ledger_page", "q"}
# Posts that would end the crawl's session or move it to another organization.
NOT_POSTED = {"logout", "tenancy:switch"}


class Forms(HTMLParser):
    """The page's forms (method, action, fields) and the query parameters of its links."""

    def __init__(self, url):
        super().__init__()
        self.url, self.forms, self.link_params, self._form = url, [], set(), None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._form = {"method": (attrs.get("method") or "get").lower(), "action": attrs.get("action") or self.url, "fields": {}, "files": []}
            self.forms.append(self._form)
        elif tag in ("input", "select", "textarea", "button") and self._form is not None and attrs.get("name"):
            if attrs.get("type") == "file":
                self._form["files"].append(attrs["name"])
            elif attrs["name"] != "csrfmiddlewaretoken":
                self._form["fields"].setdefault(attrs["name"], attrs.get("value") or "")
        elif tag == "a" and "?" in (attrs.get("href") or ""):
            self.link_params.update(name for name, _ in parse_qsl(urlsplit(attrs["href"]).query))

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None


def route_name(path: str) -> str:
    try:
        match = resolve(path)
    except Resolver404:
        return ""
    return match.view_name


@pytest.mark.django_db
def test_every_query_parameter_form_field_and_upload_refuses_hostile_values_without_a_500(demo_world, capsys):
    acme, owner, _ = demo_world
    client = logged_in(owner)
    client.raise_request_exception = False
    samples, found_tokens = sample_ids(acme), public_tokens(acme)
    pages = {}
    for route, _ in every_route():
        if route.startswith(("admin/", "api/")) or "<str:token>" in route:
            continue
        for url in concrete_urls(route, acme, client, samples, found_tokens):
            response = client.get(url)
            if response.status_code == 200 and "text/html" in response.get("Content-Type", ""):
                parser = Forms(url)
                parser.feed(response.content.decode())
                pages[route] = (url, parser)
                break

    statuses, server_errors, tried = Counter(), [], Counter()
    posts = {}
    for route, (url, parser) in pages.items():
        params = set(ALWAYS) | parser.link_params
        for form in parser.forms:
            if form["method"] == "get":
                params |= set(form["fields"])
            else:
                action = urlsplit(form["action"]).path or url
                key = (route_name(action), tuple(sorted(form["fields"])), tuple(form["files"]))
                if key[0] and key[0] not in NOT_POSTED:
                    posts.setdefault(key, (action, form))
        for param in sorted(params):
            for name, payload in PAYLOADS.items():
                cache.clear()
                response = client.get(url, {param: payload})
                statuses[response.status_code] += 1
                tried["query parameters"] += 1
                if response.status_code >= 500:
                    server_errors.append(f"GET {url}?{param}=<{name}>: {response.status_code}")

    for (view_name, fields, files), (action, form) in posts.items():
        for field in [*fields, *files]:
            for name, payload in PAYLOADS.items():
                cache.clear()
                data = dict(form["fields"])
                if field in files:
                    data[field] = SimpleUploadedFile("hostile.csv", f"account_external_id,amount,note\nACC-1,1.00,{payload}\n".encode())
                    tried["uploads"] += 1
                else:
                    data[field] = payload
                    tried["form fields"] += 1
                response = client.post(action, data)
                statuses[response.status_code] += 1
                if response.status_code >= 500:
                    server_errors.append(f"POST {action} {field}=<{name}>: {response.status_code}")

    report(capsys, f"[hostile payloads] {len(pages)} pages, {len(posts)} forms; requests {dict(tried)} "
                   f"(payloads: {', '.join(PAYLOADS)}): statuses {dict(sorted(statuses.items()))}, {len(server_errors)} server errors")
    assert tried["uploads"] >= 1 and tried["form fields"] >= 50 and tried["query parameters"] >= 100
    assert server_errors == []


@pytest.mark.django_db
def test_the_bulk_upload_refuses_a_nul_byte_and_an_oversized_cell_with_a_message(organization, owner, client_for):
    client = client_for(owner)
    answers = {}
    for name, text in {
        "NUL byte": "account_external_id,amount,note\nACC-1,1.00,a\x00b\n",
        "900,000-character cell": "account_external_id,amount,note\nACC-1,1.00," + "x" * 900_000 + "\n",
    }.items():
        response = client.post(reverse("rewards:bulk_redeem"), {"file": SimpleUploadedFile("f.csv", text.encode())})
        answers[name] = (response.status_code, response.content.decode())
    assert answers["NUL byte"][0] == 422 and "holds a NUL character" in answers["NUL byte"][1]
    assert answers["900,000-character cell"][0] == 422 and "a cell is longer than 131,072 characters" in answers["900,000-character cell"][1]


@pytest.mark.parametrize("url", ["/incentives/", "/incentives/recipients/"])
@pytest.mark.django_db
def test_a_page_number_past_bigint_shows_a_page(client_for, owner, budget, url):
    for query in ({"page": "999999999999999999"}, {"per_page": "999999999999999999"}, {"page": "-4"}, {"page": "9" * 5000}):
        assert client_for(owner).get(url, query).status_code == 200
    assert client_for(owner).get(reverse("budgets:detail", args=[budget.pk]), {"page": "999999999999999999"}).status_code == 200


@pytest.mark.django_db
def test_every_api_operation_answers_a_3_mb_body_with_a_json_413(organization, capsys):
    _, raw = api_key_create(organization=organization, name="Tests", actor=None)
    client = Client(raise_request_exception=False, headers={"Authorization": f"Bearer {raw}"})
    body = json.dumps({"note": "x" * 3_000_000})
    answers = {}
    for route, _ in every_route():
        if route.startswith("api/v1/") and "openapi" not in route and "docs" not in route:
            url = fill_any(route, 1)
            response = client.post(url, body, content_type="application/json")
            if response.status_code == 405:  # a GET-only listing
                continue
            answers[route] = (response.status_code, response.json())
    report(capsys, f"[api body] 3 MB JSON to {len(answers)} POST operations: statuses {dict(Counter(s for s, _ in answers.values()))}")
    assert len(answers) >= 7
    assert {status for status, _ in answers.values()} == {413}
    assert {body["code"] for _, body in answers.values()} == {"too_large"}
