"""Conventions checked over every template: the list-page pattern (core.lists), where a filter
form that swaps `#results` replaces it whole, so a page never holds a `#results` inside another;
comments that Django does not print."""

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
TAG = re.compile(r"<[a-z]+\b[^>]*>", re.S)


def test_every_element_that_targets_the_results_replaces_them_whole():
    inner = []
    for template in TEMPLATES.rglob("*.html"):
        for tag in TAG.findall(template.read_text()):
            if 'hx-target="#results"' in tag and 'hx-swap="outerHTML"' not in tag:
                inner.append(f"{template.relative_to(TEMPLATES)}: {tag[:80]}")
    assert inner == []


def test_every_results_partial_is_one_results_element():
    partial = re.compile(r"\{% partialdef results inline %\}(.*?)\{% endpartialdef %\}", re.S)
    for template in TEMPLATES.rglob("*.html"):
        for body in partial.findall(template.read_text()):
            body = re.sub(r"\{#.*?#\}", "", body).strip()
            assert body.startswith(('<div id="results"', '{% include "core/_list_results.html" %}')), template


def test_no_template_comment_spans_lines():
    """Django's {# #} ends at the line's end: one spread over two lines is printed on the page."""
    spread = [
        f"{template.relative_to(TEMPLATES)}:{number}"
        for template in TEMPLATES.rglob("*.html")
        for number, line in enumerate(template.read_text().splitlines(), 1)
        if "{#" in line and "#}" not in line.split("{#", 1)[1]
    ]
    assert spread == []
