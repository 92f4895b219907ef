"""Every word a template shows is marked for translation (docs/i18n.md).

Each template is read with Django's own lexer: {% translate %} and {% blocktranslate %} blocks,
comments, every other tag and {{ variable }} become a placeholder; <script> and <style> are
dropped; what is left is parsed as HTML. A text node, or an attribute people read (a label,
a placeholder, a confirm question), that still holds letters is a string nobody can translate.
"""

import re
from html.parser import HTMLParser
from pathlib import Path

from django.conf import settings
from django.template.base import Lexer, TokenType

TEMPLATES = Path(settings.BASE_DIR) / "templates"

# Words that stay as they are in every language: the product's name.
ALLOWED = re.compile(r"\bGratia\b")
# Code, file samples and headers are shown as they are typed: not translated.
CODE_ELEMENTS = {"code", "pre", "kbd", "samp"}

# Attributes whose text people read or hear.
READ_ATTRIBUTES = {"title", "placeholder", "aria-label", "alt", "hx-confirm", "data-confirm-yes", "data-confirm-no", "aria-description"}

HOLE = "\x00"
BLOCKS = {"blocktranslate": "endblocktranslate", "blocktrans": "endblocktrans", "comment": "endcomment"}
LETTERS = re.compile(r"[^\W\d_]")
SKIPPED_ELEMENTS = re.compile(r"<(script|style)\b.*?</\1\s*>|<!--.*?-->", re.DOTALL | re.IGNORECASE)


def untranslated_source(source: str) -> str:
    """The template with everything Django renders or translates replaced by HOLE."""
    parts, closing = [], None
    for token in Lexer(source).tokenize():
        if closing:
            if token.token_type == TokenType.BLOCK and token.split_contents()[0] == closing:
                closing = None
            continue
        if token.token_type == TokenType.TEXT:
            parts.append(token.contents)
            continue
        if token.token_type == TokenType.BLOCK:
            closing = BLOCKS.get(token.split_contents()[0])
        parts.append(HOLE)
    return SKIPPED_ELEMENTS.sub(HOLE, "".join(parts))


class _Texts(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found, self.in_code = [], 0

    def handle_data(self, data):
        if not self.in_code:
            self.found.append(data)

    def handle_starttag(self, tag, attrs):
        self.in_code += tag in CODE_ELEMENTS
        self.found.extend(value for name, value in attrs if name in READ_ATTRIBUTES and value)

    def handle_endtag(self, tag):
        self.in_code -= tag in CODE_ELEMENTS and self.in_code > 0


def unmarked_strings(source: str) -> list[str]:
    parser = _Texts()
    parser.feed(untranslated_source(source))
    parser.close()
    texts = (" ".join(text.replace(HOLE, " ").split()) for text in parser.found)
    return [text for text in texts if LETTERS.search(ALLOWED.sub("", text))]


# Tags whose quoted arguments are names, paths, markup or values compared, never words shown as they are.
NAMING_TAGS = {"translate", "trans", "blocktranslate", "blocktrans", "include", "extends", "url", "load", "static",
               "partialdef", "partial", "block", "querystring", "if", "elif"}
LITERAL = re.compile(r"(_\()?(?:\"([^\"]*)\"|'([^']*)')")
WORDS = re.compile(r"[^\W\d_]{2,}\s+[^\W\d_]|^[A-Z][a-z]{2,}$")


def unmarked_literals(source: str) -> list[str]:
    """Words given to a tag or filter as a literal ({% history_link x "Account history" %},
    {{ value|default:"never" }}) are shown as they are unless wrapped in _( )."""
    found = []
    for token in Lexer(source).tokenize():
        if token.token_type not in (TokenType.BLOCK, TokenType.VAR):
            continue
        if token.token_type == TokenType.BLOCK and token.split_contents()[0] in NAMING_TAGS:
            continue
        for marked, double, single in LITERAL.findall(token.contents):
            text = double or single
            if not marked and WORDS.search(ALLOWED.sub("", text).strip()):
                found.append(text)
    return found


def checked_templates() -> list[Path]:
    return sorted(
        path
        for path in TEMPLATES.rglob("*")
        if path.suffix in {".html", ".txt"}
    )


def test_every_string_of_every_template_is_marked_for_translation():
    unmarked = {
        str(path.relative_to(TEMPLATES)): found
        for path in checked_templates()
        if (found := unmarked_strings(path.read_text()))
    }
    assert unmarked == {}


def test_no_template_gives_a_tag_or_filter_words_that_are_not_marked():
    unmarked = {
        str(path.relative_to(TEMPLATES)): found
        for path in checked_templates()
        if (found := unmarked_literals(path.read_text()))
    }
    assert unmarked == {}


def test_the_literal_check_finds_words_but_not_names_formats_or_marked_words():
    source = """{% history_link x "Account history" %}{{ when|date:"Y-m-d H:i" }}{{ x|default:_("Reward") }}
    {% include "core/_pager.html" with tab="programs" %}{{ y|default:"Missing" }}{% url 'rewards:list' %}"""
    assert unmarked_literals(source) == ["Account history", "Missing"]


def test_the_check_finds_a_text_node_and_a_read_attribute_but_not_marked_or_rendered_text():
    source = """{% load i18n %}<h1>Rewards</h1><input placeholder="Search" value="{{ q }}">
    <p>{% translate "Marked" %} {{ name }} · 12</p>{% blocktranslate %}Also {{ marked }}{% endblocktranslate %}
    {# a comment #}{% comment %}Long comment{% endcomment %}<script>let words = "not text";</script>
    <button aria-label="{% translate 'Close' %}">×</button><strong>Gratia</strong> <code>ACC-1,RW-2</code>"""
    assert unmarked_strings(source) == ["Rewards", "Search"]


def test_every_template_folder_is_checked():
    folders = {path.relative_to(TEMPLATES).parts[0] for path in checked_templates() if path.parent != TEMPLATES}
    assert {"core", "rewards", "tenancy", "registration", "webhooks", "payouts", "incentives", "studies", "budgets", "offers"} <= folders