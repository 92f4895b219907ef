"""Every state change of rewards and every movement of their money.

Money moves through the ledger (budgets.services.ledger_post) between the organization's
external account and the reward account's held / available / redeemed ledger accounts:
create external -> held (pending) or available; release held -> available; redeem
available -> redeemed; cancel and expire held/available -> external; un-cancel
external -> available (or held while a W-9 hold remains). The Reward row changes in the
same transaction, by a conditional UPDATE, so two racing requests have one winner.
"""

import datetime
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from budgets.models import LedgerAccount, LedgerTransaction
from budgets.services import InsufficientFunds, external_account, ledger_post
from core.db import retry_on_conflict
from core.errors import DomainError
from core.models import PERMANENT_KEY_PREFIX
from core.money import Money, MoneyError, require_positive
from core.tax import tax_threshold
from tenancy.models import ApiKey, Organization, User
from webhooks.events import emit_reward_action

from .. import selectors
from ..models import Advocate, AdvocateEvent, Channel, Redemption, Reward, RewardAccount, RewardBalance, RewardEvent, RewardProgram

Status = Reward.Status
Reason = Reward.PendingReason
Action = RewardEvent.Action

CANCEL_WINDOW_YEARS = 2
EARLIEST_EVENT_YEAR = 1900


class RewardError(DomainError):
    """A refused reward action."""

    code = "conflict"


class RewardConflict(RewardError):
    """The reward's state doesn't allow it (already redeemed, too old to cancel, ...)."""


class RewardInvalid(RewardError):
    """Bad input, e.g. more than is available."""

    code = "invalid"
    status = 422

# A bulk file's rows are keyed `bulk:<SHA-256 of the file>:<line>`, kept for good (core.models).
BULK_KEY_PREFIX = PERMANENT_KEY_PREFIX


@dataclass(frozen=True)
class Actor:
    """Who acts and through which channel; recorded on every audit row."""

    channel: str
    user: User | None = None
    api_key: ApiKey | None = None

    @classmethod
    def web(cls, user: User, *, channel: str = Channel.UI) -> "Actor":
        return cls(channel=channel, user=user)

    @classmethod
    def api(cls, key: ApiKey) -> "Actor":
        return cls(channel=Channel.API, api_key=key)

    @classmethod
    def system(cls) -> "Actor":
        return cls(channel=Channel.SYSTEM)

    @property
    def label(self) -> str:
        if self.user is not None:
            return self.user.email
        if self.api_key is not None:
            return f"API key “{self.api_key.name}” ({self.api_key.prefix}…)"
        return "system"

    @property
    def audit(self) -> dict:
        return {"channel": self.channel, "user": self.user, "api_key": self.api_key, "actor_label": self.label}


def years_later(moment: datetime.datetime, years: int) -> datetime.datetime:
    """The same month, day and time `years` later (in the current time zone); 29 February -> 28 February."""
    local = timezone.localtime(moment)
    try:
        return local.replace(year=local.year + years)
    except ValueError:
        return local.replace(year=local.year + years, day=28)


def cancel_deadline(reward: Reward) -> datetime.datetime:
    """The first moment the reward can no longer be cancelled: two calendar years after its event."""
    return years_later(reward.event_at, CANCEL_WINDOW_YEARS)


def cancel_refusal(reward: Reward, *, now: datetime.datetime | None = None) -> RewardConflict | None:
    """Why this reward can't be cancelled now (the refusal reward_cancel raises), or None: the
    one statement of the rule, for the service, the page and the API."""
    now = now or timezone.now()
    deadline = cancel_deadline(reward)
    if now >= deadline:
        return RewardConflict(
            _(
                "The event of this reward was on %(event)s; a reward can be cancelled only within two years "
                "of its event (until %(deadline)s)."
            )
            % {"event": f"{timezone.localtime(reward.event_at):%Y-%m-%d}", "deadline": f"{deadline:%Y-%m-%d}"},
            code="too_old_to_cancel",
        )
    if reward.program_id and not reward.program.cancellation_allowed:
        return RewardConflict(_("Rewards of the program %(program)s can't be cancelled.") % {"program": reward.program}, code="not_cancellable")
    if reward.redeemed_minor:
        return RewardConflict(
            _("%(redeemed)s of this reward has been redeemed; only unredeemed rewards can be cancelled.") % {"redeemed": reward.money(reward.redeemed_minor)},
            code="already_redeemed",
        )
    if reward.status not in (Status.PENDING, Status.AVAILABLE):
        return RewardConflict(_("This reward is %(status)s already.") % {"status": reward.get_status_display().lower()}, code="not_cancellable")
    return None


def can_cancel(reward: Reward, *, now: datetime.datetime | None = None) -> bool:
    return cancel_refusal(reward, now=now) is None


# Accounts and advocates


def reward_account_create(*, organization: Organization, name: str, external_id: str) -> RewardAccount:
    return RewardAccount.objects.create(organization=organization, name=name, external_id=external_id)


def advocate_create(*, account: RewardAccount, name: str, email: str = "", external_id: str = "") -> Advocate:
    return Advocate.objects.create(
        organization=account.organization, account=account, name=name, email=email, external_id=external_id
    )


def reward_balance_for(*, account: RewardAccount, currency: str) -> RewardBalance:
    """The account's ledger accounts in a currency, created the first time they are needed."""
    existing = RewardBalance.objects.filter(account=account, currency=currency).select_related(
        "held_account", "available_account", "redeemed_account"
    )
    if balance := existing.first():
        return balance

    def ledger_account(kind):
        return LedgerAccount.objects.create(
            organization=account.organization, kind=kind, currency=currency, name=f"Rewards “{account.name}” {kind.label.lower()} ({currency})"
        )

    try:
        with transaction.atomic():
            return RewardBalance.objects.create(
                organization=account.organization,
                account=account,
                currency=currency,
                held_account=ledger_account(LedgerAccount.Kind.HELD),
                available_account=ledger_account(LedgerAccount.Kind.AVAILABLE),
                redeemed_account=ledger_account(LedgerAccount.Kind.REDEEMED),
            )
    except IntegrityError:  # a concurrent request created it in between
        return existing.get()


def _move(reward: Reward, action: str, *, kind: str, source: LedgerAccount, target: LedgerAccount, amount_minor: int, actor: Actor, note: str = "") -> RewardEvent:
    """One ledger transaction for the reward, and the audit row saying who moved it, when and how."""
    ledger_post(
        organization=reward.organization,
        kind=kind,
        postings=[(source, -amount_minor), (target, amount_minor)],
        actor=actor.user,
        actor_label=actor.label,
        reference=f"reward:{reward.pk}",
        memo=note,
    )
    emit_reward_action(reward, action, amount_minor)  # the receivers' events: webhooks.payloads.REWARD_ACTIONS
    return RewardEvent.objects.create(
        organization=reward.organization, reward=reward, action=action, amount_minor=amount_minor, note=note, **actor.audit
    )


def _balance(reward: Reward) -> RewardBalance:
    return reward_balance_for(account=reward.account, currency=reward.currency)


def _bucket(balance: RewardBalance, status: str) -> LedgerAccount:
    """Where a pending or available reward's money sits."""
    return balance.held_account if status == Status.PENDING else balance.available_account


def _checked_amount(amount: Money, currency: str) -> Money:
    try:
        amount = require_positive(amount)
    except MoneyError as error:
        raise RewardInvalid(str(error), code="invalid_amount") from None
    if amount.currency != currency:
        raise RewardInvalid(
            _("This reward is in %(currency)s; the amount is in %(asked)s.") % {"currency": currency, "asked": amount.currency}, code="invalid_amount"
        )
    return amount


# Creating a reward


def _check_event_at(event_at: datetime.datetime, now: datetime.datetime) -> datetime.datetime:
    if timezone.is_naive(event_at):
        event_at = timezone.make_aware(event_at, datetime.UTC)
    if event_at > now:
        raise RewardInvalid(_("The event date can't be in the future."), code="invalid_event_at")
    if event_at.year < EARLIEST_EVENT_YEAR:
        raise RewardInvalid(_("The event date must be after %(year)s.") % {"year": EARLIEST_EVENT_YEAR}, code="invalid_event_at")
    return event_at


def _program_terms(program: RewardProgram, amount: Money | None, now: datetime.datetime):
    """The amount, end of the pending period and expiry a program gives a new reward."""
    if program.archived_at is not None:
        raise RewardInvalid(_("The program %(program)s is archived; it gives no new rewards.") % {"program": program}, code="program_archived")
    if amount is None:
        if program.amount is None:
            raise RewardInvalid(_("The program %(program)s has no fixed amount; give the reward's amount.") % {"program": program}, code="invalid_amount")
        amount = program.amount
    elif amount.currency != program.currency:
        raise RewardInvalid(
            _("The program %(program)s gives rewards in %(currency)s, not %(asked)s.") % {"program": program, "currency": program.currency, "asked": amount.currency},
            code="invalid_amount",
        )
    elif program.amount is not None and amount != program.amount:
        raise RewardInvalid(
            _("The program %(program)s gives %(fixed)s rewards; this one is %(amount)s.") % {"program": program, "fixed": program.amount, "amount": amount},
            code="invalid_amount",
        )
    available_at = now + datetime.timedelta(days=program.pending_days) if program.pending_days else None
    expires_at = now + datetime.timedelta(days=program.expires_after_days) if program.expires_after_days else None
    return amount, available_at, expires_at


def advocate_year_progress(*, advocate: Advocate, now: datetime.datetime | None = None, adding: Money | None = None) -> dict:
    """The advocate's rewards this calendar year against the organization's tax threshold:
    {"year", "total", "threshold", "left", "over"}; `adding` counts a reward about to be given."""
    organization = advocate.organization
    year = selectors.current_year(organization, now)
    threshold = tax_threshold(organization=organization, year=year)
    total_minor = selectors.advocate_year_totals(organization=organization, year=year, advocate_ids=[advocate.pk]).get(advocate.pk, 0)
    if adding is not None and adding.currency == threshold.currency:
        total_minor += adding.amount_minor
    total = Money(total_minor, threshold.currency)
    return {
        "year": year,
        "total": total,
        "threshold": threshold,
        "left": Money(max(threshold.amount_minor - total_minor, 0), threshold.currency),
        "over": total_minor > threshold.amount_minor,
    }


@retry_on_conflict
@transaction.atomic
def reward_check(*, account: RewardAccount, amount: Money | None, program: RewardProgram | None, advocate: Advocate | None,
                 event_at: datetime.datetime, now: datetime.datetime):
    """What a new reward would be, or RewardInvalid saying why it can't be given: the one check of
    `reward_create` and of a bulk reward file's preview. (amount, available_at, expires_at, event_at)."""
    available_at = expires_at = None
    if program is not None:
        if program.organization_id != account.organization_id:
            raise RewardInvalid(_("No such program."), code="invalid_program")
        amount, available_at, expires_at = _program_terms(program, amount, now)
    elif amount is None:
        raise RewardInvalid(_("Give the reward's amount."), code="invalid_amount")
    amount = _checked_amount(amount, amount.currency)
    event_at = _check_event_at(event_at, now)
    if advocate is not None and advocate.account_id != account.pk:
        raise RewardInvalid(_("%(advocate)s is not a participant of %(account)s.") % {"advocate": advocate, "account": account}, code="invalid_advocate")
    return amount, available_at, expires_at, event_at


def reward_create(
    *,
    account: RewardAccount,
    amount: Money | None,
    source_event: str,
    event_at: datetime.datetime,
    actor: Actor,
    advocate: Advocate | None = None,
    program: RewardProgram | None = None,
    external_id: str = "",
    available_at: datetime.datetime | None = None,
    w9_required: bool = False,
    expires_at: datetime.datetime | None = None,
    now: datetime.datetime | None = None,
) -> Reward:
    """A new reward, pending (period or W-9 hold) or available at once, funded from the external account.

    A program gives its amount (when fixed), its pending period and expiry, and its W-9 rule:
    the reward is held for a W-9 when it takes the advocate's rewards of the calendar year
    above the organization's tax threshold (core.tax) and no W-9 is on file.
    """
    now = now or timezone.now()
    amount, program_available_at, program_expires_at, event_at = reward_check(
        account=account, amount=amount, program=program, advocate=advocate, event_at=event_at, now=now
    )
    available_at = available_at or program_available_at
    expires_at = expires_at or program_expires_at
    if w9_required and advocate is None:
        raise RewardInvalid(_("A reward that needs a W-9 needs the advocate who earned it."), code="invalid_advocate")
    if program is not None and program.w9_above_threshold and advocate is not None:
        # Locked, so two rewards given at once can't both pass under the threshold.
        advocate = Advocate.objects.select_for_update().get(pk=advocate.pk)
        w9_required = w9_required or advocate_year_progress(advocate=advocate, now=now, adding=amount)["over"]
    if w9_required and advocate.w9_submitted_at is None:
        status, reason = Status.PENDING, Reason.W9_REQUIRED
    elif available_at is not None and available_at > now:
        status, reason = Status.PENDING, Reason.SCHEDULED
    else:
        status, reason = Status.AVAILABLE, Reason.NONE
    if external_id and Reward.objects.for_org(account.organization).filter(external_id=external_id).exists():
        raise RewardInvalid(_("A reward with external id “%(external_id)s” exists already.") % {"external_id": external_id}, code="duplicate_external_id")
    reward = Reward.objects.create(
        organization=account.organization,
        account=account,
        advocate=advocate,
        program=program,
        external_id=external_id,
        amount_minor=amount.amount_minor,
        currency=amount.currency,
        source_event=source_event,
        event_at=event_at,
        status=status,
        pending_reason=reason,
        available_at=available_at,
        w9_required=w9_required,
        expires_at=expires_at,
    )
    balance = _balance(reward)
    _move(
        reward,
        Action.CREATED,
        kind=LedgerTransaction.Kind.REWARD_CREATE,
        source=external_account(organization=account.organization, currency=reward.currency),
        target=_bucket(balance, status),
        amount_minor=reward.amount_minor,
        actor=actor,
    )
    return reward


# Redeeming


def _redeem_locked(reward: Reward, *, amount_minor: int, actor: Actor, note: str, idempotency_key: str) -> Redemption:
    """Take `amount_minor` off an available reward; the conditional UPDATE refuses more than is left."""
    rows = Reward.objects.filter(
        pk=reward.pk, status=Status.AVAILABLE, redeemed_minor__lte=F("amount_minor") - amount_minor
    ).update(
        redeemed_minor=F("redeemed_minor") + amount_minor,
        status=Case(
            When(amount_minor=F("redeemed_minor") + amount_minor, then=Value(Status.REDEEMED)),
            default=Value(Status.AVAILABLE),
        ),
    )
    reward.refresh_from_db()
    if rows != 1:
        if reward.status != Status.AVAILABLE:
            raise RewardConflict(_("This reward is %(status)s; only available rewards can be redeemed.") % {"status": reward.get_status_display().lower()}, code="not_available")
        raise RewardInvalid(
            _("This reward has %(left)s available; you asked to redeem %(asked)s.") % {"left": reward.money(reward.left_minor), "asked": reward.money(amount_minor)},
            code="insufficient_balance",
        )
    balance = _balance(reward)
    _move(
        reward,
        Action.REDEEMED,
        kind=LedgerTransaction.Kind.REWARD_REDEEM,
        source=balance.available_account,
        target=balance.redeemed_account,
        amount_minor=amount_minor,
        actor=actor,
        note=note,
    )
    return Redemption.objects.create(
        organization=reward.organization,
        reward=reward,
        amount_minor=amount_minor,
        currency=reward.currency,
        idempotency_key=idempotency_key,
        note=note,
        **actor.audit,
    )


@retry_on_conflict
@transaction.atomic
def reward_redeem(*, reward: Reward, amount: Money | None, actor: Actor, note: str = "", idempotency_key: str = "") -> Redemption:
    """Redeem part or all (amount None) of what is left of an available reward."""
    if amount is None:
        reward = Reward.objects.select_for_update().get(pk=reward.pk)
        if reward.status != Status.AVAILABLE:
            raise RewardConflict(_("This reward is %(status)s; only available rewards can be redeemed.") % {"status": reward.get_status_display().lower()}, code="not_available")
        amount_minor = reward.left_minor
    else:
        amount_minor = _checked_amount(amount, reward.currency).amount_minor
    return _redeem_locked(reward, amount_minor=amount_minor, actor=actor, note=note, idempotency_key=idempotency_key)


@retry_on_conflict
@transaction.atomic
def account_redeem(*, account: RewardAccount, amount: Money, actor: Actor, note: str = "", idempotency_key: str = "") -> list[Redemption]:
    """Redeem from the account's shared balance, oldest available rewards first; all or nothing."""
    amount = _checked_amount(amount, amount.currency)
    # Locked in id order (the order every service locks in), spent oldest event first.
    rewards = list(
        Reward.objects.for_org(account.organization)
        .filter(account=account, currency=amount.currency, status=Status.AVAILABLE)
        .select_for_update()
        .order_by("pk")
    )
    total = sum(reward.left_minor for reward in rewards)
    if total < amount.amount_minor:
        raise RewardInvalid(
            _("%(account)s has %(available)s available; you asked to redeem %(asked)s.")
            % {"account": account, "available": Money(total, amount.currency), "asked": amount},
            code="insufficient_balance",
        )
    redemptions, wanted = [], amount.amount_minor
    for reward in sorted(rewards, key=lambda r: (r.event_at, r.pk)):
        if wanted == 0:
            break
        take = min(wanted, reward.left_minor)
        redemptions.append(_redeem_locked(reward, amount_minor=take, actor=actor, note=note, idempotency_key=idempotency_key))
        wanted -= take
    return redemptions


# Cancel, un-cancel, release, expire


@retry_on_conflict
@transaction.atomic
def reward_cancel(*, reward: Reward, actor: Actor, note: str = "", now: datetime.datetime | None = None) -> Reward:
    """Cancel an unredeemed reward whose event is under two years old; its money goes back out."""
    now = now or timezone.now()
    if now >= cancel_deadline(reward) or (reward.program_id and not reward.program.cancellation_allowed):
        raise cancel_refusal(reward, now=now)  # the two-year rule and the program's: checked first, so never None here
    rows = Reward.objects.filter(pk=reward.pk, status__in=[Status.PENDING, Status.AVAILABLE], redeemed_minor=0).update(
        status=Status.CANCELLED, status_before_cancel=F("status"), pending_reason=Reason.NONE
    )
    reward.refresh_from_db()
    if rows != 1:  # read again after the conditional update: whatever made it miss is the reason
        raise cancel_refusal(reward, now=now) or RewardConflict(_("This reward can't be cancelled."), code="not_cancellable")
    _move(
        reward,
        Action.CANCELLED,
        kind=LedgerTransaction.Kind.REWARD_CANCEL,
        source=_bucket(_balance(reward), reward.status_before_cancel),
        target=external_account(organization=reward.organization, currency=reward.currency),
        amount_minor=reward.amount_minor,
        actor=actor,
        note=note,
    )
    return reward


def _w9_hold_remains(reward: Reward) -> bool:
    return reward.w9_required and Advocate.objects.filter(pk=reward.advocate_id, w9_submitted_at__isnull=True).exists()


@retry_on_conflict
@transaction.atomic
def reward_uncancel(*, reward: Reward, actor: Actor, note: str = "") -> Reward:
    """Restore a cancelled reward. A pending period ends with it (the documented way to release
    early); a W-9 hold stays until the W-9 is marked."""
    if _w9_hold_remains(reward):
        status, reason = Status.PENDING, Reason.W9_REQUIRED
    else:
        status, reason = Status.AVAILABLE, Reason.NONE
    now = timezone.now()
    rows = Reward.objects.filter(pk=reward.pk, status=Status.CANCELLED).update(
        status=status, pending_reason=reason, status_before_cancel="",
        # The period ends now, so a W-9 marked later doesn't put the reward back into it.
        available_at=Case(When(available_at__gt=now, then=Value(now)), default=F("available_at")),
    )
    reward.refresh_from_db()
    if rows != 1:
        raise RewardConflict(_("This reward is %(status)s, not cancelled.") % {"status": reward.get_status_display().lower()}, code="not_cancelled")
    _move(
        reward,
        Action.UNCANCELLED,
        kind=LedgerTransaction.Kind.REWARD_UNCANCEL,
        source=external_account(organization=reward.organization, currency=reward.currency),
        target=_bucket(_balance(reward), status),
        amount_minor=reward.amount_minor,
        actor=actor,
        note=note,
    )
    return reward


def _release(reward: Reward, *, actor: Actor, note: str, reason: str = Reason.SCHEDULED) -> bool:
    """Held -> available for a reward pending for `reason`; False if it is no longer one."""
    now = timezone.now()
    rows = Reward.objects.filter(pk=reward.pk, status=Status.PENDING, pending_reason=reason).update(
        status=Status.AVAILABLE, pending_reason=Reason.NONE,
        # `available_at` says when it became available: a period ended early ends now.
        available_at=Case(When(available_at__lte=now, then=F("available_at")), default=Value(now)),
    )
    reward.refresh_from_db()
    if rows != 1:
        return False
    balance = _balance(reward)
    _move(
        reward,
        Action.RELEASED,
        kind=LedgerTransaction.Kind.REWARD_RELEASE,
        source=balance.held_account,
        target=balance.available_account,
        amount_minor=reward.amount_minor,
        actor=actor,
        note=note,
    )
    return True


@retry_on_conflict
@transaction.atomic
def reward_release(*, reward: Reward, actor: Actor, note: str = "") -> Reward:
    """Release now: end a pending period early. A W-9 hold ends only with the W-9."""
    if _release(reward, actor=actor, note=note or _("Released early")):
        return reward
    if reward.pending_reason == Reason.W9_REQUIRED:
        raise RewardConflict(
            _("This reward waits for the W-9 of %(advocate)s; mark the W-9 as submitted to release it.") % {"advocate": reward.advocate}, code="w9_required"
        )
    raise RewardConflict(_("This reward is %(status)s, not pending.") % {"status": reward.get_status_display().lower()}, code="not_pending")


def rewards_release_due(*, now: datetime.datetime | None = None) -> int:
    """Make available every scheduled reward whose period has ended (Celery beat); returns how many."""
    now = now or timezone.now()
    released = 0
    for reward in Reward.objects.pending_due(now).order_by("pk").iterator():
        with transaction.atomic():
            released += _release(reward, actor=Actor.system(), note=_("Pending period ended"))
    return released


def _advocate_event(advocate: Advocate, action: str, actor: Actor) -> AdvocateEvent:
    return AdvocateEvent.objects.create(organization=advocate.organization, advocate=advocate, action=action, **actor.audit)


@retry_on_conflict
@transaction.atomic
def advocate_mark_w9(*, advocate: Advocate, actor: Actor, now: datetime.datetime | None = None) -> list[Reward]:
    """Record the W-9; the advocate's W-9 holds end (into their pending period if it hasn't ended)."""
    now = now or timezone.now()
    if Advocate.objects.filter(pk=advocate.pk, w9_submitted_at__isnull=True).update(w9_submitted_at=now):
        _advocate_event(advocate, AdvocateEvent.Action.W9_MARKED, actor)
    advocate.refresh_from_db()
    held = Reward.objects.filter(advocate=advocate, status=Status.PENDING, pending_reason=Reason.W9_REQUIRED)
    # Money stays held for those whose pending period is still running: the beat task releases them.
    held.filter(available_at__gt=now).update(pending_reason=Reason.SCHEDULED)
    released = []
    for reward in held.order_by("pk"):
        if _release(reward, actor=actor, note=_("W-9 submitted"), reason=Reason.W9_REQUIRED):
            released.append(reward)
    return released


@retry_on_conflict
@transaction.atomic
def advocate_unmark_w9(*, advocate: Advocate, actor: Actor) -> list[Reward]:
    """Undo "W-9 submitted" (it was marked by mistake): the advocate's rewards that need a W-9
    wait for it again, those still in their pending period and those available but untouched
    (their release is reversed, held again); what was redeemed stays redeemed. Returns the
    rewards held again."""
    if not Advocate.objects.filter(pk=advocate.pk, w9_submitted_at__isnull=False).update(w9_submitted_at=None):
        advocate.refresh_from_db()
        return []  # not marked: nothing to undo
    advocate.refresh_from_db()
    _advocate_event(advocate, AdvocateEvent.Action.W9_UNMARKED, actor)
    mine = Reward.objects.filter(advocate=advocate, w9_required=True)
    held = list(mine.filter(status=Status.PENDING, pending_reason=Reason.SCHEDULED).order_by("pk"))
    mine.filter(pk__in=[reward.pk for reward in held]).update(pending_reason=Reason.W9_REQUIRED)
    for reward in mine.filter(status=Status.AVAILABLE, redeemed_minor=0).select_for_update().order_by("pk"):
        if Reward.objects.filter(pk=reward.pk, status=Status.AVAILABLE, redeemed_minor=0).update(
            status=Status.PENDING, pending_reason=Reason.W9_REQUIRED
        ):
            reward.refresh_from_db()
            balance = _balance(reward)
            _move(
                reward,
                Action.W9_HELD,
                kind=LedgerTransaction.Kind.REVERSAL,
                source=balance.available_account,
                target=balance.held_account,
                amount_minor=reward.amount_minor,
                actor=actor,
                note=_("W-9 mark undone"),
            )
            held.append(reward)
    return held


def _expire(reward: Reward, *, actor: Actor) -> bool:
    """What is left of a pending or available reward goes back out; False if it is neither."""
    reward = Reward.objects.select_for_update().get(pk=reward.pk)
    if reward.status not in (Status.PENDING, Status.AVAILABLE):
        return False
    source = _bucket(_balance(reward), reward.status)
    Reward.objects.filter(pk=reward.pk).update(status=Status.EXPIRED, pending_reason=Reason.NONE)
    reward.refresh_from_db()
    _move(
        reward,
        Action.EXPIRED,
        kind=LedgerTransaction.Kind.REWARD_EXPIRE,
        source=source,
        target=external_account(organization=reward.organization, currency=reward.currency),
        amount_minor=reward.left_minor,
        actor=actor,
    )
    return True


@transaction.atomic
def reward_expire(*, reward: Reward, actor: Actor) -> Reward:
    if not _expire(reward, actor=actor):
        raise RewardConflict(_("This reward is %(status)s; it can't expire.") % {"status": reward.get_status_display().lower()}, code="not_expirable")
    reward.refresh_from_db()
    return reward


def rewards_expire_due(*, now: datetime.datetime | None = None) -> int:
    """Expire every pending or available reward past its `expires_at` (Celery beat)."""
    now = now or timezone.now()
    expired = 0
    for reward in Reward.objects.expiry_due(now).order_by("pk").iterator():
        try:
            with transaction.atomic():
                expired += _expire(reward, actor=Actor.system())
        except InsufficientFunds:  # a redemption file awaiting approval reserves its money: it expires once that is decided
            continue
    return expired

