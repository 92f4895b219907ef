import random
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from budgets.models import LedgerTransaction
from budgets.selectors import ledger_problems
from budgets.services import InvalidAmount, LedgerError, budget_fund, budget_reserve, ledger_post
from core.money import MAX_DIGITS, Money, MoneyError
from incentives.services import IncentiveError, incentives_send
from rewards.services.bulk import bulk_apply
from rewards.models import Redemption
from rewards.services import RewardInvalid, reward_redeem
from studies.services import StudyError, study_create

from ..factories import make_budget
from ..rewards.helpers import SYSTEM, make_account, make_reward
from ..studies.factories import add_participants, make_study


@pytest.mark.parametrize(
    "text, currency, minor, shown",
    [("12.50", "USD", 1250, "$12.50"), ("1500", "JPY", 1500, "¥1,500"), ("1.234", "KWD", 1234, "KWD1.234"), ("0.01", "usd", 1, "$0.01")],
)
def test_amounts_parse_and_format_exactly_in_each_currencys_decimals(text, currency, minor, shown):
    money = Money.parse(text, currency)
    assert money.amount_minor == minor
    assert str(money) == shown
    assert Money.parse(money.plain(), currency) == money


@pytest.mark.parametrize("text", ["", "abc", "1e999999", "NaN", "Infinity", "1.2.3"])
def test_nonsense_is_not_an_amount(text):
    with pytest.raises(MoneyError):
        Money.parse(text, "USD")


@pytest.mark.parametrize("text", ["12,50", "1,5", "0,99", "1,2,3.4", "12,5000", ",500", "1,234,56"])
def test_a_comma_that_is_not_a_thousands_separator_is_refused_not_read_as_a_bigger_amount(text):
    """Regression: commas were dropped anywhere, so a decimal comma "12,50" became $1,250.00."""
    with pytest.raises(MoneyError, match="write decimals with a point"):
        Money.parse(text, "EUR")


@pytest.mark.parametrize("text, minor", [("1,234.50", 123_450), ("12,345", 1_234_500), ("-1,000,000", -100_000_000)])
def test_commas_between_thousands_are_accepted(text, minor):
    assert Money.parse(text, "USD").amount_minor == minor


def test_more_decimals_than_the_currency_has_are_refused():
    with pytest.raises(MoneyError, match="JPY amounts have at most 0 decimals"):
        Money.parse("10.5", "JPY")


@pytest.mark.parametrize("text", ["5e2", "1E3", "1_000", "١٢٣", "٣.٥٠", "１２３", "+5", "1.2.3", "1,000.5.0", "12 000", "0x10", "5.", "."])
def test_only_digits_a_point_and_grouping_commas_make_an_amount(text):
    """Regression: Decimal read "5e2" as 500, "1_000" as 1000 and Arabic-Indic "١٢٣" as 123."""
    if text == "5.":  # a trailing point is what a person means by 5
        assert Money.parse(text, "USD").amount_minor == 500
        return
    with pytest.raises(MoneyError, match="is not an amount: write decimals with a point, digits 0-9 only"):
        Money.parse(text, "USD")


@pytest.mark.parametrize("code", ["XXX", "XTS", "XAU", "XAG", "XPT", "XPD", "XDR", "XBA", "XSU", "XUA", "BOV", "CHE", "CLF", "USN", "DEM", "ZZZ"])
def test_codes_that_are_not_money_are_refused(code):
    with pytest.raises(MoneyError, match="not an ISO 4217 currency in use"):
        Money(100, code)


@pytest.mark.parametrize("code", ["USD", "EUR", "JPY", "KWD", "BHD", "CHF", "XAF", "XOF", "XCD", "XPF", "PTS"])
def test_currencies_in_use_and_points_are_accepted(code):
    assert Money(100, code.lower()).currency == code


def test_unknown_currency_is_refused():
    with pytest.raises(MoneyError, match="not an ISO 4217"):
        Money(100, "ABC")


def test_mixing_currencies_is_refused():
    with pytest.raises(MoneyError, match="Can't combine USD and EUR"):
        Money(1, "USD") + Money(1, "EUR")


def test_points_are_whole_and_never_mix_with_money():
    points = Money.parse("1,500", "pts")
    assert (points.amount_minor, str(points), points.plain()) == (1500, "1,500 pts", "1500")
    with pytest.raises(MoneyError, match="PTS amounts have at most 0 decimals"):
        Money.parse("1.5", "PTS")
    with pytest.raises(MoneyError, match="Can't combine PTS and USD"):
        points + Money(1, "USD")


# Properties over many values, in currencies with 0, 2 and 3 decimals.

DECIMALS = {"JPY": 0, "KRW": 0, "PTS": 0, "USD": 2, "EUR": 2, "KWD": 3, "BHD": 3}


@st.composite
def money(draw, *, positive=False):
    currency = draw(st.sampled_from(sorted(DECIMALS)))
    largest = 10 ** (MAX_DIGITS + DECIMALS[currency]) - 1  # the largest amount parse accepts
    return Money(draw(st.integers(min_value=1 if positive else -largest, max_value=largest)), currency)


@pytest.mark.smoke
@given(money())
def test_every_amount_formats_with_its_currencys_decimals_and_parses_back_exactly(amount):
    places = DECIMALS[amount.currency]
    plain = amount.plain()
    assert len(plain.partition(".")[2]) == places
    assert Money.parse(plain, amount.currency) == amount
    # The formatted amount shows the same figure (symbol, sign and thousands separators aside).
    figure = re.sub(r"[^0-9.\-]", "", str(amount))
    assert figure == plain
    assert Money.parse(f"{amount.decimal:,.{places}f}", amount.currency) == amount


@given(money())
def test_one_decimal_more_than_the_currency_has_is_refused(amount):
    places = DECIMALS[amount.currency]
    text = amount.plain() + ("1" if places else ".1")
    with pytest.raises(MoneyError, match=f"at most {places} decimals"):
        Money.parse(text, amount.currency)


def test_a_sweep_of_amounts_prints_its_figures(capsys):
    """The figures of the money promise: exact round trips, counted."""
    rng = random.Random(2026)
    amounts = [Money(rng.randrange(-10**12, 10**12), currency) for currency in DECIMALS for _ in range(5_000)]
    exact = sum(Money.parse(amount.plain(), amount.currency) == amount for amount in amounts)
    assert exact == len(amounts)
    with capsys.disabled():
        print(f"\n[money] {len(amounts)} amounts in {len(DECIMALS)} currencies (0, 2 and 3 decimals, and points): {exact} round-trip exactly")


# Mixing currencies is refused by the services too, with a message, and changes nothing.


def _send_in_euros(budget, owner):
    study = make_study(budget=budget, owner=owner)
    people = add_participants(study, 1)
    incentives_send(study=study, participant_ids=[people[0].pk], amount=Money(100, "EUR"), subject="Hi", message="", actor=owner)


def _redeem_in_euros(budget, owner):
    account, _ = make_account(budget.organization)
    reward_redeem(reward=make_reward(account, amount_minor=1_000), amount=Money(100, "EUR"), actor=SYSTEM)


def _post_across_currencies(budget, owner):
    euros = make_budget(budget.organization, currency="EUR")
    ledger_post(
        organization=budget.organization, kind=LedgerTransaction.Kind.RESERVE,
        postings=[(budget.available_account, -100), (euros.available_account, 100)],
    )


def _fund_in_euros(budget, owner):
    budget_fund(budget=budget, amount=Money(100, "EUR"), actor=owner)


def _reserve_in_euros(budget, owner):
    budget_reserve(budget=budget, amount=Money(100, "EUR"), actor=owner)


def _plan_a_study_in_euros(budget, owner):
    study_create(organization=budget.organization, name="S", budget=budget, amount=Money(100, "EUR"), actor=owner)


IN_EUROS = "This budget is in USD; the amount is in EUR."
MIXED = {
    "fund": (_fund_in_euros, InvalidAmount, IN_EUROS),
    "reserve": (_reserve_in_euros, InvalidAmount, IN_EUROS),
    "study": (_plan_a_study_in_euros, StudyError, "Budget Interviews is in USD; the amount is in EUR."),
    "send": (_send_in_euros, IncentiveError, "Choose an amount greater than zero, in USD."),
    "redeem": (_redeem_in_euros, RewardInvalid, "This reward is in USD; the amount is in EUR."),
    "ledger": (_post_across_currencies, LedgerError, "A ledger transaction can't mix currencies."),
}


@pytest.mark.django_db
@pytest.mark.parametrize("action", MIXED)
def test_services_refuse_to_mix_currencies_and_change_nothing(action, budget, owner):
    act, refusal, message = MIXED[action]
    before = LedgerTransaction.objects.count()
    with pytest.raises(refusal) as error:
        act(budget, owner)
    assert str(error.value) == message
    moved = LedgerTransaction.objects.count() - before
    assert moved == (1 if action == "redeem" else 0)  # only the test reward's own creation
    budget.available_account.refresh_from_db()
    assert (budget.available_account.balance_minor, ledger_problems()) == (100_000, [])


@pytest.mark.django_db
def test_a_bulk_row_with_a_decimal_comma_redeems_nothing(organization, researcher):
    """Before the fix this row redeemed €1,250.00 of a €2,000.00 reward."""
    account, _ = make_account(organization)
    make_reward(account, amount_minor=200_000, currency="EUR", external_id="RW-EU")
    rows = bulk_apply(organization=organization, text='reward_external_id,amount\nRW-EU,"12,50"\n', user=researcher)
    assert "write decimals with a point" in rows[0].error
    assert not Redemption.objects.exists()
