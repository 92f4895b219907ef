"""Demo data: Acme is a provider with programs, link templates, and offers in every status."""

from collections import deque
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from core.money import Money

from . import services
from .models import IncentiveProgram, IncentiveType, LinkTemplate, Offer, ProviderProfile
from .transitions import TRANSITIONS, Party, Status

PROGRAMS = [
    (
        "Customer advocates",
        "Thank-you incentives for customers who speak for us.",
        [IncentiveType.GIFT_CARD, IncentiveType.CASHBACK, IncentiveType.CREDIT],
    ),
    ("Partner discounts", "Discounts for partner businesses.", [IncentiveType.DISCOUNT, IncentiveType.VOUCHER]),
]
TEMPLATES = [
    ("Conference booth thank-you", "Customer advocates", IncentiveType.GIFT_CARD, Money(2500, "USD"), None, False, 1),
    ("Team discount (5 seats)", "Partner discounts", IncentiveType.DISCOUNT, None, Decimal("15"), True, 5),
]
FIRST_NAMES = "Avery Blake Casey Devon Emery Finley Gray Harper Indy Jordan Kai Lane Morgan Noel Oakley Parker Quinn".split()


def path_to(target: str) -> list:
    """The shortest chain of transitions from Draft to `target` (breadth-first over the table)."""
    queue, seen = deque([(Status.DRAFT, [])]), {Status.DRAFT}
    while queue:
        status, path = queue.popleft()
        if status == target:
            return path
        for transition in TRANSITIONS:
            if transition.source == status and transition.target not in seen:
                seen.add(transition.target)
                queue.append((transition.target, path + [transition]))
    raise ValueError(f"{target} can't be reached from Draft")


def walk_to(offer: Offer, target: str, provider_user) -> Offer:
    for step in path_to(target):
        actor_kind = Party.PROVIDER if Party.PROVIDER in step.actors else next(iter(step.actors))
        if step.target == Status.ACKNOWLEDGED:
            actor_kind = Party.RECIPIENT
        member = offer.members.first() if actor_kind == Party.RECIPIENT else None
        terms = None
        if step.target == Status.COUNTER:
            terms = Money(offer.amount_minor + 1000, offer.currency)
        if step.target == Status.PARTIAL_GRANTED:  # below what it answers
            terms = Money((offer.proposed_amount_minor or offer.amount_minor) // 2, offer.currency)
        note = "Thanks a lot, this made my week!" if step.target == Status.ACKNOWLEDGED else ""
        offer = services.offer_transition(
            offer=offer, to_status=step.target, actor_kind=actor_kind, member=member,
            actor=provider_user if actor_kind == Party.PROVIDER else None, terms=terms, note=note,
        )
    return offer


def seed(demo, stdout):
    acme, provider_user = demo.orgs["acme"], demo.users["provider@acme.test"]
    if not ProviderProfile.objects.for_org(acme).exists():
        services.provider_profile_save(
            organization=acme, display_name="Acme Rewards", contact_email="provider@acme.test",
            website="https://acme.example", description="Acme's incentives for advocates and partners.",
        )
    programs = {}
    for name, description, types in PROGRAMS:
        programs[name] = IncentiveProgram.objects.for_org(acme).filter(name=name).first() or services.program_save(
            organization=acme, name=name, description=description, incentive_types=list(types), default_expiry_days=30
        )
    for name, program, kind, money, percent, is_group, seats in TEMPLATES:
        if not LinkTemplate.objects.for_org(acme).filter(name=name).exists():
            services.link_template_save(
                organization=acme, name=name, program=programs[program], incentive_type=kind,
                amount_minor=money.amount_minor if money else None, currency="USD", percent=percent,
                message="Thanks for stopping by!", expiry_days=30, is_group=is_group, max_members=seats,
            )
    advocates = programs["Customer advocates"]
    today = timezone.localdate()
    for index, status in enumerate(Status):
        email = f"demo-{status.value.replace('_', '-')}@example.test"
        if Offer.objects.for_org(acme).filter(recipient_email=email).exists():
            continue
        offer = services.offer_create(
            organization=acme, actor=provider_user, value=Money(2000 + 500 * index, "USD"), send=False,
            program=advocates, incentive_type=IncentiveType.GIFT_CARD, delivery=Offer.Delivery.EMAIL,
            recipient_name=f"{FIRST_NAMES[index]} Example", recipient_email=email,
            message="Thank you for being an Acme customer.",
            expires_on=today + (timedelta(days=-2) if status == Status.EXPIRED else timedelta(days=21)),
        )
        offer = walk_to(offer, status, provider_user)
        if status in services.DISTRIBUTABLE:
            services.distribution_record(
                offer=offer, actor=provider_user, amount=offer.value, distributed_on=today,
                method="gift_card", reference=f"GC-{1000 + index}", note="Demo gift card",
            )
    team = LinkTemplate.objects.for_org(acme).get(name="Team discount (5 seats)")
    if not team.offers.exists():
        group = services.offer_from_template(template=team, actor=provider_user)
        for name in ("Rae Partner", "Sam Partner", "Tee Partner"):
            services.offer_join(offer=group, name=name, email=f"{name.split()[0].lower()}@partner.example")
    stdout.write(f"Offers: {Offer.objects.for_org(acme).count()} for Acme's provider dashboard (provider@acme.test).")
