"""Issue 16.7 (part B): the claim page, the study pages and the emails to participants in French."""

import re

import pytest
from babel.messages.pofile import read_po
from django.core import mail
from django.utils import translation

from core.models import OutboundEmail
from core.money import Money
from incentives import services
from incentives.emails import render_payout_returned_email
from studies import services as study_services
from studies.models import Participant, StudyParticipant

from ..studies.factories import add_participants
from .french import CATALOGUE, french  # noqa: F401  (the fixture)
from .helpers import send_to
from .test_views import claim_url

pytestmark = pytest.mark.django_db
FRENCH_BROWSER = {"HTTP_ACCEPT_LANGUAGE": "fr-FR,fr;q=0.9,en;q=0.5"}


def french_get(client, url):
    """A page as a French browser sees it (also before the locale middleware picks it)."""
    with translation.override("fr"):
        return client.get(url, **FRENCH_BROWSER)


def test_the_claim_page_is_in_french_for_a_french_browser(french, client, study, researcher):
    incentive = send_to(study, 1, actor=researcher)[0]
    page = french_get(client, claim_url(incentive)).content.decode()
    assert f"Merci, {incentive.participant.name}" in page and "Merci d’avoir participé à <strong>Onboarding interviews</strong>" in page
    assert "Comment souhaitez-vous la recevoir" in page and "Récupérer " in page
    assert 'lang="fr"' in page and "Thank you for taking part" not in page


def test_opening_the_claim_page_records_the_browser_language_once(french, client, study, researcher):
    incentive = send_to(study, 1, actor=researcher)[0]
    french_get(client, claim_url(incentive))
    assert Participant.objects.get(pk=incentive.participant_id).language == "fr"
    client.get(claim_url(incentive), HTTP_ACCEPT_LANGUAGE="en")  # a known language is kept
    assert Participant.objects.get(pk=incentive.participant_id).language == "fr"


def test_a_claim_page_without_accept_language_records_nothing(client, study, researcher):
    incentive = send_to(study, 1, actor=researcher)[0]
    client.get(claim_url(incentive))
    assert Participant.objects.get(pk=incentive.participant_id).language is None


def test_a_refused_claim_says_why_in_french(french, client, study, researcher):
    incentive = send_to(study, 1, actor=researcher)[0]
    services.incentive_cancel(incentive=incentive, actor=researcher)
    page = french_get(client, claim_url(incentive)).content.decode()
    assert "Cette gratification a été annulée" in page and "a annulé cette gratification" in page


def test_the_study_page_is_in_french(french, client_for, researcher, study):
    add_participants(study, 2)
    page = french_get(client_for(researcher), f"/studies/{study.pk}/").content.decode()
    assert "Gratification par participant" in page and "Ajouter des participants" in page and "Fermer l’étude" in page
    assert "Participants" in page and "Terminé" in page and "Incentive per participant" not in page


def test_the_study_list_is_in_french(french, client_for, researcher, study):
    page = french_get(client_for(researcher), "/studies/").content.decode()
    assert "Nouvelle étude" in page and "Rechercher une étude par son nom" in page and "Responsables" in page


def claim_emails(incentives):
    return {e.to_email: e for e in OutboundEmail.objects.filter(reference__in=[i.reference for i in incentives])}


def test_a_participant_whose_language_is_french_gets_the_claim_email_in_french(
    french, study, researcher, django_capture_on_commit_callbacks
):
    people = add_participants(study, 2, StudyParticipant.Status.INCENTIVE_NOT_SENT)
    Participant.objects.filter(pk=people[0].pk).update(language="fr")
    with django_capture_on_commit_callbacks(execute=True):
        incentives = services.incentives_send(
            study=study, participant_ids=[p.pk for p in people], amount=Money(2500, "USD"),
            subject="Merci", message="Bonjour {name} !", actor=researcher,
        )
    emails = claim_emails(incentives)
    french_email, english_email = emails[people[0].email], emails[people[1].email]
    assert "Votre gratification" in french_email.text_body and "Récupérer votre gratification" in french_email.html_body
    assert 'lang="fr"' in french_email.html_body and f"Bonjour {people[0].name} !" in french_email.text_body
    assert "Your incentive" in english_email.text_body and "Votre gratification" not in english_email.text_body
    sent = [m for m in mail.outbox if people[0].email in m.to[0]]
    assert "Récupérez-la ici" in sent[0].body and "Claim it here" not in sent[0].body


def test_a_reminder_to_a_french_participant_is_in_french(french, study, researcher):
    incentive = send_to(study, 1, actor=researcher)[0]
    Participant.objects.filter(pk=incentive.participant_id).update(language="fr")
    incentive.participant.refresh_from_db()
    services.incentive_remind(incentive=incentive, actor=researcher)
    reminder = OutboundEmail.objects.filter(reference=incentive.reference, purpose="incentive_reminder").get()
    assert re.fullmatch(r"Rappel\s: Thank you", reminder.subject)
    assert "Petit rappel\u00a0: votre gratification de Acme Research vous attend." in reminder.text_body


def test_an_import_with_a_language_column_sets_each_participants_language(study, researcher):
    text = "name,email,language\nAda Lovelace,ada@example.test,fr\nAlan Turing,alan@example.test,\n"
    result = study_services.study_participants_import(study=study, actor=researcher, csv_text=text)
    assert result.errors == [] and len(result.added) == 2
    languages = dict(Participant.objects.filter(email__in=result.added).values_list("email", "language"))
    assert languages == {"ada@example.test": "fr", "alan@example.test": None}


def test_an_import_with_an_unknown_language_is_refused_whole(study, researcher):
    text = "name,email,language\nAda Lovelace,ada@example.test,xx\n"
    result = study_services.study_participants_import(study=study, actor=researcher, csv_text=text)
    assert result.added == [] and re.match(r"Row 2: “xx” is not a language of the app \(", result.errors[0])
    assert not Participant.objects.filter(email="ada@example.test").exists()


def test_the_french_catalogue_translates_every_string_and_keeps_the_placeholders():
    with CATALOGUE.open("rb") as source:
        catalogue = read_po(source)
    placeholder = re.compile(r"%\((\w+)\)s|\{(\w*)\}")
    messages = [m for m in catalogue if m.id]
    assert len(messages) > 800
    for message in messages:
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(strings) and not message.fuzzy, message.id
        wanted = {name for text in ids for name in placeholder.findall(text)}
        for text in strings:
            assert {name for name in placeholder.findall(text)} == wanted, (message.id, text)


def test_the_recipient_page_says_which_language_the_participants_emails_are_in(client_for, researcher, study):
    incentive = send_to(study, 1, actor=researcher)[0]
    assert "Not known yet" in client_for(researcher).get(f"/incentives/recipients/{incentive.pk}/").content.decode()
    Participant.objects.filter(pk=incentive.participant_id).update(language="fr")
    assert "français" in client_for(researcher).get(f"/incentives/recipients/{incentive.pk}/").content.decode()


def test_the_payout_returned_email_to_a_french_participant_is_in_french(french, study, researcher):
    incentive = send_to(study, 1, actor=researcher)[0]
    incentive.participant.language = "fr"
    email = render_payout_returned_email(incentive=incentive, reason="IBAN fermé", url="https://example.test/claim/x/")
    assert email.subject.startswith("Merci de vérifier vos coordonnées de versement pour ")
    assert "Bonjour " in email.text_body and "IBAN fermé" in email.html_body and 'lang="fr"' in email.html_body


def test_the_language_column_may_follow_the_session_columns(study, researcher):
    text = "name,email,session time,session minutes,language\nAda Lovelace,ada@example.test,2026-12-04 14:00,60,fr\n"
    result = study_services.study_participants_import(study=study, actor=researcher, csv_text=text)
    assert result.errors == [] and result.added == ["ada@example.test"]
    row = StudyParticipant.objects.get(study=study, participant__email="ada@example.test")
    assert row.participant.language == "fr" and row.session_minutes == 60 and row.status == StudyParticipant.Status.SCHEDULED
