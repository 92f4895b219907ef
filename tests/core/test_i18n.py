"""Translation: the catalogues are complete, amounts follow the language, the language is
chosen by the browser, the switcher and the person's own setting (docs/i18n.md)."""

import gettext
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.apps import apps
from django.conf import settings
from django.template import Context, Template
from django.utils import translation

from approvals.models import Approval
from approvals.services import approval_request
from core.i18n import catalogues, compile_catalogues
from core.models import OutboundEmail
from core.money import Money, format_money, format_number
from tenancy.models import Membership, User
from tests.factories import member

PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|%[sd]|\{[a-z_.]+\}")
TAG = re.compile(r"</?([a-z0-9]+)")


def django_catalogue_dirs() -> set[Path]:
    """Every locale folder of ours Django reads: LOCALE_PATHS and each project app's locale/."""
    base = Path(settings.BASE_DIR).resolve()
    dirs = {Path(path).resolve() for path in settings.LOCALE_PATHS}
    for config in apps.get_app_configs():
        path = Path(config.path).resolve()
        if path.is_relative_to(base) and ".venv" not in path.parts:
            dirs.add(path / "locale")
    return {path for path in dirs if path.is_dir()}


def french_catalogues():
    found = sorted(po for folder in django_catalogue_dirs() for po in folder.glob("fr/LC_MESSAGES/*.po"))
    assert found, "no French catalogue"
    return [(po, read_po(po.open("rb"))) for po in found]


def test_the_compiler_compiles_every_catalogue_django_loads():
    loaded = {po for folder in django_catalogue_dirs() for po in folder.glob("*/LC_MESSAGES/*.po")}
    assert loaded == {po.resolve() for po in catalogues()}


def test_every_message_has_a_french_translation_that_is_not_fuzzy():
    untranslated = [
        f"{po.parent.parent.parent.parent.name}: {message.id!r}"
        for po, catalogue in french_catalogues()
        for message in catalogue
        if message.id and (message.fuzzy or not all(message.string if isinstance(message.string, tuple) else [message.string]))
    ]
    assert untranslated == []


def test_every_translation_keeps_the_placeholders_and_tags_of_its_message():
    wrong = []
    for _, catalogue in french_catalogues():
        for message in catalogue:
            if not message.id:
                continue
            ids = message.id if isinstance(message.id, tuple) else (message.id,)
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            wanted = {p for text in ids for p in PLACEHOLDER.findall(text)}
            tags = sorted(TAG.findall(ids[0]))
            for text in strings:
                # A singular form may say "one" instead of the count: only the plural keeps every placeholder.
                if set(PLACEHOLDER.findall(text)) - wanted or (text is strings[-1] and set(PLACEHOLDER.findall(text)) != wanted):
                    wrong.append((ids[0], text))
                if sorted(TAG.findall(text)) != tags:
                    wrong.append((ids[0], text))
    assert wrong == []


def test_the_catalogues_compile_with_babel_into_what_gettext_reads(tmp_path):
    (tmp_path / "locale" / "fr" / "LC_MESSAGES").mkdir(parents=True)
    po = tmp_path / "locale" / "fr" / "LC_MESSAGES" / "django.po"
    po.write_text('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n"Plural-Forms: nplurals=2; plural=(n > 1);\\n"\n\n'
                  'msgid "Rewards"\nmsgstr "Récompenses"\n\n#, fuzzy\nmsgid "Guess"\nmsgstr "Devinette"\n', encoding="utf-8")
    assert compile_catalogues(base=tmp_path) == [po.with_suffix(".mo")]
    assert compile_catalogues(base=tmp_path) == []  # up to date: nothing written again
    french = gettext.translation("django", localedir=tmp_path / "locale", languages=["fr"])
    assert french.gettext("Rewards") == "Récompenses"
    assert french.gettext("Guess") == "Guess"  # fuzzy entries are left out, as msgfmt does


# Formatting


def test_amounts_are_written_the_french_way_in_french_and_the_english_way_in_english():
    with translation.override("fr"):
        assert format_money(123450, "EUR") == "1\u202f234,50\xa0€"
        assert format_money(123450, "USD") == "1\u202f234,50\xa0$US"
        assert format_money(1500, "PTS") == "1\u202f500 pts"
    with translation.override("en"):
        assert format_money(123450, "USD") == "$1,234.50"
        assert format_money(123450, "EUR") == "€1,234.50"
        assert format_money(1500, "PTS") == "1,500 pts"


def test_numbers_and_the_money_filter_follow_the_active_language():
    template = Template("{% load money %}{{ amount|money:'EUR' }} · {{ count|number }} · {{ rate|number:2 }}")
    context = Context({"amount": 123450, "count": 1234567, "rate": 12.5})
    with translation.override("fr"):
        assert template.render(context) == "1\u202f234,50\xa0€ · 1\u202f234\u202f567 · 12,50"
        assert format_number(1234) == "1\u202f234"
    with translation.override("en"):
        assert template.render(context) == "€1,234.50 · 1,234,567 · 12.50"


def test_inputs_and_files_keep_the_plain_amount_in_every_language():
    with translation.override("fr"):
        assert Money(123450, "EUR").plain() == "1234.50"


# Choosing the language


def test_the_login_page_speaks_the_browsers_language(client):
    assert "Se connecter" in client.get("/login/", headers={"accept-language": "fr-FR,fr;q=0.9"}).text
    page = client.get("/login/", headers={"accept-language": "de-DE,en;q=0.5"}).text
    assert "Log in" in page and '<html lang="en"' in page


def test_the_switcher_sets_the_language_of_an_anonymous_visitor_and_returns_to_the_page(client):
    response = client.post("/language/", {"language": "fr", "next": "/login/?next=/rewards/"})
    assert response.status_code == 302 and response["Location"] == "/login/?next=/rewards/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "fr"
    assert '<html lang="fr"' in client.get("/login/").text


def test_the_switcher_refuses_to_send_anyone_to_another_site(client):
    response = client.post("/language/", {"language": "fr", "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_the_switcher_ignores_a_language_the_site_does_not_have(client):
    response = client.post("/language/", {"language": "xx", "next": "/login/"})
    assert response["Location"] == "/login/" and settings.LANGUAGE_COOKIE_NAME not in response.cookies


def test_the_switcher_needs_a_post(client):
    assert client.get("/language/?language=fr").status_code == 405


def test_the_switcher_saves_a_signed_in_persons_choice_as_their_setting(client_for, owner):
    client = client_for(owner)
    client.post("/language/", {"language": "fr", "next": "/rewards/"})
    owner.refresh_from_db()
    assert owner.language == "fr"
    assert "Récompenses" in client.get("/rewards/", headers={"accept-language": "en"}).text


def test_a_persons_own_language_wins_over_the_browsers(client_for, owner):
    owner.language = "fr"
    owner.save()
    page = client_for(owner).get("/rewards/", headers={"accept-language": "en-US,en;q=0.9"}).text
    assert '<html lang="fr"' in page and "Participants" in page and "Se déconnecter" in page


def test_without_a_setting_a_signed_in_person_gets_the_browsers_language(client_for, owner):
    page = client_for(owner).get("/rewards/", headers={"accept-language": "fr"}).text
    assert "Se déconnecter" in page


def test_the_account_page_saves_the_language_and_any_role_may_use_it(client_for, viewer):
    client = client_for(viewer)
    assert "The language of my browser" in client.get("/account/").text
    response = client.post("/account/", {"name": "Vi Ewer", "language": "fr"})
    assert response.status_code == 302
    viewer.refresh_from_db()
    assert (viewer.name, viewer.language) == ("Vi Ewer", "fr")
    assert "Vos paramètres sont enregistrés." in client.get("/account/").text
    client.post("/account/", {"name": "Vi Ewer", "language": ""})
    viewer.refresh_from_db()
    assert viewer.language == ""


def test_the_account_page_refuses_a_language_the_site_does_not_have(client_for, viewer):
    response = client_for(viewer).post("/account/", {"name": "", "language": "xx"})
    assert response.status_code == 200 and "Select a valid choice" in response.text
    viewer.refresh_from_db()
    assert viewer.language == ""


def test_the_account_page_needs_a_login(client):
    assert client.get("/account/")["Location"].startswith("/login/")


# Emails


@pytest.mark.django_db
def test_emails_go_out_in_each_recipients_language(organization, owner):
    french = member(organization, Membership.Role.ADMIN, language="fr")
    english = member(organization, Membership.Role.ADMIN)
    with translation.override("en"):
        approval_request(
            organization=organization, kind=Approval.Kind.BUDGET_WITHDRAWAL, requested_by=owner,
            total=Money(500000, "EUR"), summary="Withdraw", reference="test:1",
        )
    subjects = dict(OutboundEmail.objects.filter(purpose="approval_requested").values_list("to_email", "subject"))
    texts = dict(OutboundEmail.objects.filter(purpose="approval_requested").values_list("to_email", "text_body"))
    assert subjects == {french.email: "Approbation nécessaire : Withdraw", english.email: "Approval needed: Withdraw"}
    assert "5\u202f000,00\xa0€" in texts[french.email] and "€5,000.00" in texts[english.email]


def test_a_person_without_a_language_gets_emails_in_the_default_language():
    assert User(language="").email_language == settings.LANGUAGE_CODE == "en"
    assert User(language="fr").email_language == "fr"


def test_the_api_answers_in_the_language_the_client_asks_for(client):
    french = client.get("/api/v1/nowhere", headers={"accept-language": "fr"}).json()
    assert french == {"code": "not_found", "message": "Le point d’accès GET /api/v1/nowhere n’existe pas."}
    english = client.get("/api/v1/nowhere").json()
    assert english["message"] == "There is no endpoint GET /api/v1/nowhere."


def test_the_pages_script_gets_its_words_in_the_pages_language(client):
    page = client.get("/login/", headers={"accept-language": "fr"}).text
    assert 'data-said-copied="Copié"' in page and "Impossible de joindre le serveur." in page
