"""Issue 18's "Done means": 200 claimed incentives across the three payout methods in two
currencies are paid through the manual provider, 3 come back, one participant corrects their
IBAN through their link and is paid again, one is abandoned past the period. The ledger is
verified after every step, the budget pages' figures match, and every step run twice pays once."""

import datetime
import os
from urllib.parse import urlparse

import pytest
import xmlschema
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

import sepaxml
from budgets.models import Budget
from budgets.selectors import ledger_problems
from core.models import OutboundEmail
from core.money import format_money
from incentives.emails import incentive_claim_url
from incentives.models import Incentive
from payouts import files, services
from payouts.models import Payout, PayoutBatch

from .conftest import claimed, payout_of

pytestmark = pytest.mark.django_db
PLAN = {  # (study fixture, method): how many claim that way
    ("eur", "bank_transfer"): 70, ("eur", "gift_card"): 20, ("eur", "charity"): 10,
    ("usd", "bank_transfer"): 50, ("usd", "gift_card"): 40, ("usd", "charity"): 10,
}
SEPA_SCHEMA = os.path.join(os.path.dirname(sepaxml.__file__), "schemas", "pain.001.001.03.xsd")


def sound():
    """verify_ledger passes (it raises otherwise) and finds nothing wrong."""
    call_command("verify_ledger", stdout=open(os.devnull, "w"))
    assert ledger_problems() == []


def figures_match(client, budget):
    """The budget page shows the ledger's payable and paid out, and the payout totals add up
    to them: claimed-not-paid + failed = payable, paid = paid out."""
    budget = Budget.objects.with_accounts().get(pk=budget.pk)
    rows = Incentive.objects.filter(budget=budget)

    def total(*statuses):
        return sum(rows.filter(payout_status__in=statuses).values_list("amount_minor", flat=True))

    assert budget.payable_minor == total("owed", "in_batch", "returned")
    assert budget.paid_out_minor == total("paid")
    page = client.get(reverse("budgets:detail", args=[budget.pk])).content.decode()
    money = lambda minor: format_money(minor, budget.currency)  # noqa: E731
    assert f'id="budget-payable">{money(budget.payable_minor)}<' in page
    assert f'id="budget-paid-out">{money(budget.paid_out_minor)}<' in page
    assert f'id="payouts-owed">{money(total("owed", "in_batch"))}<' in page
    assert f'id="payouts-paid">{money(total("paid"))}<' in page
    assert f'id="payouts-failed">{money(total("returned"))}<' in page
    return budget


def test_two_hundred_payouts_three_returns_a_correction_and_an_abandonment(client, client_for, owner, finance, eur_study, usd_study):
    studies = {"eur": eur_study, "usd": usd_study}
    budgets = {key: Budget.objects.with_accounts().get(pk=study.budget_id) for key, study in studies.items()}
    funded = {key: budget.funded_minor for key, budget in budgets.items()}
    incentives = {}
    for (key, method), count in PLAN.items():
        incentives[key, method] = claimed(studies[key], count, method, actor=owner, start=len(incentives) * 100)
    assert sum(len(rows) for rows in incentives.values()) == 200
    sound()
    page = client_for(owner)
    for budget in budgets.values():
        figures_match(page, budget)

    # Batches: one per method and currency; each made twice, the second finds nothing owed.
    batches = {}
    for (key, method), rows in incentives.items():
        currency = studies[key].currency
        batches[key, method] = services.payout_batch_create(organization=owner_org(owner), method=method, currency=currency, actor=finance)
        with pytest.raises(services.PayoutError, match="Nothing is owed"):
            services.payout_batch_create(organization=owner_org(owner), method=method, currency=currency, actor=finance)
        assert batches[key, method].payout_count == len(rows)
        sound()
    assert Payout.objects.count() == 200 and Payout.objects.values("incentive").distinct().count() == 200

    # The files: a schema-valid SEPA file for euro transfers, CSVs for the rest.
    sepa = files.sepa_file(batches["eur", "bank_transfer"])
    xmlschema.XMLSchema(SEPA_SCHEMA).validate(sepa.decode())
    assert sepa.count(b"<CdtTrfTxInf>") == 70 and b"<NbOfTxs>70</NbOfTxs>" in sepa
    usd_csv = files.bulk_csv(batches["usd", "bank_transfer"]).decode().splitlines()
    assert usd_csv[0] == ",".join(files.BANK_HEADER) and len(usd_csv) == 51
    assert len(files.bulk_csv(batches["eur", "gift_card"]).decode().splitlines()) == 21
    assert set(files.charity_csvs(batches["usd", "charity"])) == {"Doctors Without Borders", "Red Cross"}

    # Each batch is marked sent twice: paid once.
    for batch in batches.values():
        assert services.payout_batch_mark_sent(batch=batch, actor=finance) is True
        assert services.payout_batch_mark_sent(batch=batch, actor=finance) is False
        sound()
    assert Incentive.objects.filter(payout_status="paid").count() == 200
    for key, budget in budgets.items():
        budget = figures_match(page, budget)
        assert budget.payable_minor == 0 and budget.funded_minor == funded[key]

    # Three come back (two euro transfers, one dollar gift card); each is marked twice.
    returned = [incentives["eur", "bank_transfer"][0], incentives["eur", "bank_transfer"][1], incentives["usd", "gift_card"][0]]
    for incentive in returned:
        for first in (True, False):
            assert services.payout_mark_failed(payout=payout_of(incentive), reason="Account closed (AC04)", actor=finance) is first
            sound()
    assert OutboundEmail.objects.filter(purpose="payout_returned").count() == 3
    for budget in budgets.values():
        figures_match(page, budget)

    # One participant corrects their IBAN through their link, twice; it is paid again once.
    fixed = returned[0]
    link = urlparse(incentive_claim_url(fixed.pk)).path
    status_page = client.get(link).content.decode()
    assert "The bank returned the transfer: please check your details" in status_page
    correction = {"payout_method": "bank_transfer", "account_holder": "Person Fixed", "iban": "BE68 5390 0754 7034"}
    assert "your details are saved" in client.post(link, correction).content.decode()
    client.post(link, correction)  # a second post: nothing is waiting for details any more
    assert Incentive.objects.get(pk=fixed.pk).payout_status == "owed"
    again = services.payout_batch_create(organization=owner_org(owner), method="bank_transfer", currency="EUR", actor=finance)
    with pytest.raises(services.PayoutError):
        services.payout_batch_create(organization=owner_org(owner), method="bank_transfer", currency="EUR", actor=finance)
    assert again.payout_count == 1 and b"BE68539007547034" in files.sepa_file(again)
    assert services.payout_batch_mark_sent(batch=again, actor=finance) and not services.payout_batch_mark_sent(batch=again, actor=finance)
    sound()
    assert Payout.objects.filter(incentive=fixed, status="sent").count() == 1
    assert "sent on" in client.get(link).content.decode()

    # One of the two still returned is abandoned past the organization's period; run twice.
    stale = returned[1]
    Incentive.objects.filter(pk=stale.pk).update(payout_returned_at=timezone.now() - datetime.timedelta(days=91))
    assert services.payouts_abandon_due() == 1 and services.payouts_abandon_due() == 0
    sound()
    stale = Incentive.objects.get(pk=stale.pk)
    assert stale.payout_status == "abandoned" and stale.payout_details_sealed == "" and stale.payout_details_masked
    eur = figures_match(page, budgets["eur"])
    assert eur.funded_minor == funded["eur"]  # abandoned money is available again, not gone
    assert eur.payable_minor == 0
    usd = figures_match(page, budgets["usd"])
    assert usd.payable_minor == returned[2].amount_minor  # the gift card still waits for its details
    assert PayoutBatch.objects.count() == 7


def owner_org(user):
    return user.memberships.get().organization
