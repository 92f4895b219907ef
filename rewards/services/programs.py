"""Reward programs: what a reward is for and the rules it is given under (see models.RewardProgram)."""

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.money import Money, MoneyError, check_currency, require_positive

from ..models import RewardProgram
from . import RewardInvalid

FIELDS = ("name", "currency", "amount_minor", "pending_days", "w9_above_threshold", "expires_after_days", "cancellation_allowed")


def _clean(values: dict) -> dict:
    name = (values.get("name") or "").strip()
    if not name:
        raise RewardInvalid(_("Give the program a name."), code="invalid_name")
    try:
        currency = check_currency(values.get("currency") or "")
        if values.get("amount_minor") is not None:
            require_positive(Money(values["amount_minor"], currency))
    except MoneyError as error:
        raise RewardInvalid(str(error), code="invalid_amount") from None
    for days in ("pending_days", "expires_after_days"):
        if values.get(days) is not None and values[days] < 0:
            raise RewardInvalid(_("Days can't be negative."), code="invalid_days")
    return {**values, "name": name, "currency": currency}


@transaction.atomic
def program_create(*, organization, **values) -> RewardProgram:
    values = _clean({name: values[name] for name in FIELDS if name in values})
    try:
        with transaction.atomic():
            return RewardProgram.objects.create(organization=organization, **values)
    except IntegrityError:
        raise RewardInvalid(_("A program named “%(name)s” exists already.") % {"name": values["name"]}, code="duplicate_name") from None


@transaction.atomic
def program_update(*, program: RewardProgram, **values) -> RewardProgram:
    """Change a program's rules; rewards it gave keep the terms they were given under, and a
    program that gave rewards keeps its currency."""
    values = _clean({**{name: getattr(program, name) for name in FIELDS}, **{n: values[n] for n in FIELDS if n in values}})
    if values["currency"] != program.currency and program.rewards.exists():
        raise RewardInvalid(_("This program gave rewards in %(currency)s; its currency stays.") % {"currency": program.currency}, code="currency_fixed")
    try:
        with transaction.atomic():
            RewardProgram.objects.filter(pk=program.pk).update(**values)
    except IntegrityError:
        raise RewardInvalid(_("A program named “%(name)s” exists already.") % {"name": values["name"]}, code="duplicate_name") from None
    program.refresh_from_db()
    return program


@transaction.atomic
def program_archive(*, program: RewardProgram, archived: bool = True) -> RewardProgram:
    """Archive (no new rewards; its rewards stay as they are) or restore a program."""
    RewardProgram.objects.filter(pk=program.pk).update(archived_at=timezone.now() if archived else None)
    program.refresh_from_db()
    return program
