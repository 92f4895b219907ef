"""Demo reward accounts: several advocates each, rewards in every status and pending reason."""

import datetime

from django.utils import timezone

from core.money import Money
from tenancy.models import ApiKey
from tenancy.services import api_key_create, api_key_revoke

from . import services
from .models import RewardAccount, RewardProgram
from .services import programs

# slug, name, currency, amount, pending days, W-9 above the threshold, expiry days
PROGRAMS = [
    ("acme", "Referral", "USD", 2_500, 14, True, 365),
    ("acme", "Partner bonus", "USD", None, 0, True, None),
]

DEMO_KEY_NAME = "Demo key (seed_demo)"

# slug, account external id, name, advocates (name, email, external id, W-9 submitted)
ACCOUNTS = [
    ("acme", "ACC-1001", "Northwind Traders", [
        ("Ana Lopez", "ana@northwind.test", "ADV-1", True),
        ("Ben Carter", "ben@northwind.test", "ADV-2", False),
        ("Chloe Kim", "chloe@northwind.test", "ADV-3", True),
    ]),
    ("acme", "ACC-1002", "Contoso Ltd", [
        ("Dan Brooks", "dan@contoso.test", "ADV-4", True),
        ("Eve Martin", "eve@contoso.test", "ADV-5", False),
    ]),
    ("globex", "GLX-1", "Globex Partners", [
        ("Gus Field", "gus@globex-partners.test", "GADV-1", True),
    ]),
]

# account, advocate, external id, amount, currency, event (days ago), pending days left, W-9 hold,
# what happens next, source event
REWARDS = [
    ("ACC-1001", "ADV-1", "RW-1001", 5_000, "USD", 10, None, False, None, "Referral: Jo signed up"),
    ("ACC-1001", "ADV-1", "RW-1002", 10_000, "USD", 40, None, False, ("redeem", 3_000), "Referral: Sam upgraded"),
    ("ACC-1001", "ADV-3", "RW-1003", 2_500, "USD", 60, None, False, ("redeem", None), "Review bonus"),
    ("ACC-1001", "ADV-3", "RW-1004", 4_000, "USD", 3, 14, False, None, "Referral: Lee signed up"),
    ("ACC-1001", "ADV-2", "RW-1005", 70_000, "USD", 5, None, True, None, "Referral: enterprise deal"),
    ("ACC-1001", "ADV-2", "RW-1006", 2_000, "USD", 20, None, False, ("cancel", None), "Referral: duplicate sign-up"),
    ("ACC-1001", "ADV-1", "RW-1007", 1_500, "USD", 200, None, False, ("expire", None), "Seasonal promotion"),
    ("ACC-1001", "ADV-3", "RW-1008", 1_000, "USD", 800, None, False, None, "Loyalty anniversary (over two years ago)"),
    ("ACC-1002", "ADV-4", "RW-2001", 3_000, "EUR", 15, None, False, None, "Referral: Mia signed up"),
    ("ACC-1002", "ADV-5", "RW-2002", 2_000, "EUR", 2, 30, True, None, "Referral: Noah signed up"),
    ("ACC-1002", "ADV-4", "RW-2003", 6_000, "USD", 25, None, False, ("redeem", 1_000), "Partner bonus"),
    ("GLX-1", "GADV-1", "GRW-1", 5_000, "USD", 12, None, False, None, "Globex referral"),
]


def _follow_up(reward, step, actor):
    action, amount = step
    if action == "redeem":
        services.reward_redeem(reward=reward, amount=None if amount is None else Money(amount, reward.currency), actor=actor, note="Demo payout")
    elif action == "cancel":
        services.reward_cancel(reward=reward, actor=actor, note="Duplicate referral")
    else:
        services.reward_expire(reward=reward, actor=services.Actor.system())


def seed(demo, stdout):
    now = timezone.now()
    accounts, advocates = {}, {}
    for slug, external_id, name, people in ACCOUNTS:
        organization = demo.orgs[slug]
        account = RewardAccount.objects.for_org(organization).filter(external_id=external_id).first()
        is_new = account is None
        if is_new:
            account = services.reward_account_create(organization=organization, name=name, external_id=external_id)
        accounts[external_id] = (account, is_new)
        for person, email, person_id, w9 in people:
            advocate = account.advocates.filter(external_id=person_id).first()
            if advocate is None:
                advocate = services.advocate_create(account=account, name=person, email=email, external_id=person_id)
                if w9:
                    services.advocate_mark_w9(advocate=advocate, actor=services.Actor.system(), now=now - datetime.timedelta(days=400))
            advocates[person_id] = advocate
    for slug, name, currency, amount, pending_days, w9, expiry in PROGRAMS:
        if not RewardProgram.objects.for_org(demo.orgs[slug]).filter(name=name).exists():
            programs.program_create(
                organization=demo.orgs[slug], name=name, currency=currency, amount_minor=amount,
                pending_days=pending_days, w9_above_threshold=w9, expires_after_days=expiry,
            )
    owner = services.Actor.web(demo.users["owner@acme.test"])
    for account_id, person_id, external_id, amount, currency, days_ago, pending_days, w9, step, event in REWARDS:
        account, is_new = accounts[account_id]
        if not is_new:
            continue
        reward = services.reward_create(
            account=account,
            advocate=advocates[person_id],
            external_id=external_id,
            amount=Money(amount, currency),
            source_event=event,
            event_at=now - datetime.timedelta(days=days_ago),
            available_at=now + datetime.timedelta(days=pending_days) if pending_days else None,
            w9_required=w9,
            actor=services.Actor.system(),
        )
        if step:
            _follow_up(reward, step, owner)
    _print_api_key(demo, stdout)


def _print_api_key(demo, stdout):
    """Keys are stored hashed, so each run replaces the demo key with a new one and prints it."""
    acme = demo.orgs["acme"]
    for key in ApiKey.objects.for_org(acme).active().filter(name=DEMO_KEY_NAME):
        api_key_revoke(key=key)
    _, raw = api_key_create(organization=acme, name=DEMO_KEY_NAME, actor=demo.users["owner@acme.test"])
    stdout.write(f"REST API key for Acme (shown once): {raw}\n  curl -H 'Authorization: Bearer {raw}' http://127.0.0.1:8000/api/v1/accounts")
