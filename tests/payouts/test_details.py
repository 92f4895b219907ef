"""Payout details: checked with schwifty, sealed with Fernet (rotatable), masked everywhere."""

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection

from core import crypto
from incentives import services
from incentives.models import Incentive
from incentives.payout_details import PayoutDetailsInvalid, cleaned

from ..incentives.helpers import send_to
from ..studies.conftest import study  # noqa: F401  (the same study fixture)

pytestmark = pytest.mark.django_db


def test_a_euro_iban_with_a_wrong_checksum_is_refused_naming_the_field():
    with pytest.raises(PayoutDetailsInvalid) as refused:
        cleaned(method="bank_transfer", values={"account_holder": "Ada", "iban": "DE89370400440532013001"}, currency="EUR")
    assert refused.value.field == "iban" and "not valid" in refused.value.message


def test_euro_transfers_need_an_iban_of_the_sepa_zone():
    with pytest.raises(PayoutDetailsInvalid, match="SEPA zone"):
        cleaned(method="bank_transfer", values={"account_holder": "Ada", "iban": "BR1800360305000010009795493C1"}, currency="EUR")


def test_a_bad_bic_is_refused_and_a_good_one_kept():
    values = {"account_holder": "Ada", "iban": "DE89 3704 0044 0532 0130 00", "bic": "nope"}
    with pytest.raises(PayoutDetailsInvalid) as refused:
        cleaned(method="bank_transfer", values=values, currency="EUR")
    assert refused.value.field == "bic"
    assert cleaned(method="bank_transfer", values={**values, "bic": "cobadeffxxx"}, currency="EUR")["bic"] == "COBADEFFXXX"


def test_outside_the_euro_an_account_number_is_accepted():
    details = cleaned(method="bank_transfer", values={"account_holder": "Ada", "iban": "0001 2345 678"}, currency="USD")
    assert details == {"account_holder": "Ada", "iban": "00012345678"}


def test_masks_show_only_what_people_recognise():
    assert crypto.mask_account("FR76 3000 6000 0112 3456 7890 189") == "FR76 •••• 0189"
    assert crypto.mask_name("Ada Lovelace") == "A••• L•••"
    assert crypto.mask_email("ada@example.test") == "a•••@example.test"


def test_the_database_holds_the_details_sealed_never_in_clear(study, researcher):
    incentive = send_to(study, 1, actor=researcher)[0]
    services.incentive_claim(incentive=incentive, payout_method="bank_transfer",
                             payout_details={"account_holder": "Ada Lovelace", "iban": "DE89370400440532013000"})
    with connection.cursor() as cursor:
        cursor.execute("SELECT row_to_json(i)::text FROM incentives_incentive i WHERE id = %s", [incentive.pk])
        row = cursor.fetchone()[0]
    assert "DE89370400440532013000" not in row and "Lovelace" not in row
    assert "DE89 •••• 3000" in row
    assert Incentive.objects.get(pk=incentive.pk).payout_details["iban"] == "DE89370400440532013000"


def test_keys_rotate_new_key_first_old_details_still_open_then_resealed(settings, study, researcher):
    incentive = send_to(study, 1, actor=researcher)[0]
    services.incentive_claim(incentive=incentive, payout_method="gift_card", payout_details={"gift_card_email": "ada@example.test"})
    old_key, new_key = settings.PAYOUT_DETAILS_KEYS[0], Fernet.generate_key().decode()
    settings.PAYOUT_DETAILS_KEYS = [new_key, old_key]
    assert Incentive.objects.get(pk=incentive.pk).payout_details == {"gift_card_email": "ada@example.test"}
    call_command("payout_details_rotate", stdout=open("/dev/null", "w"))
    settings.PAYOUT_DETAILS_KEYS = [new_key]  # the old key is dropped: resealed details still open
    assert Incentive.objects.get(pk=incentive.pk).payout_details == {"gift_card_email": "ada@example.test"}
    settings.PAYOUT_DETAILS_KEYS = [old_key]
    with pytest.raises(ValueError, match="no longer configured"):
        Incentive.objects.get(pk=incentive.pk).payout_details


def test_a_claim_with_bad_details_changes_nothing(study, researcher, budget):
    incentive = send_to(study, 1, actor=researcher)[0]
    with pytest.raises(PayoutDetailsInvalid):
        services.incentive_claim(incentive=incentive, payout_method="bank_transfer",
                                 payout_details={"account_holder": "Ada", "iban": "DE00 1234"})
    incentive.refresh_from_db()
    assert incentive.status == "unclaimed" and incentive.payout_details_sealed == ""
