"""Sending, claiming, cancelling, expiring and reminding: every incentive state change.

State changes are conditional updates (`... WHERE status = 'unclaimed'`), so a claim racing a
cancel has exactly one winner, and repeating an action has the effect of doing it once.
Services that take `actor` check that the actor may act on the study; `actor=None` is the
system itself (a beat job applying the organization's policy).
"""

from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _, ngettext, pgettext

from approvals.models import Approval
from approvals.services import approval_request, requires_approval
from budgets.models import Budget
from budgets.services import budget_release, budget_reserve, budget_settle
from core.db import retry_on_conflict
from core.errors import DomainError
from core.money import Money
from core.models import OutboundEmail
from core.services import outbound_emails_queue
from core.tokens import PLACEHOLDER, plausible, secret_link_ref
from studies.models import Participant, Study, StudyParticipant
from studies.services import require_study_manager
from webhooks.events import emit, emit_many
from webhooks.payloads import incentive_data

from .. import emails, payout_details, tax, tokens
from ..models import Incentive, PayoutStatus

Status = Incentive.Status
# What the conditional updates change; reloaded after them, keeping the cached relations.
STATE_FIELDS = [
    "status", "claimed_at", "cancelled_at", "expired_at", "reminder_count", "last_reminded_at",
    "payout_method", "payout_status", "payout_details_sealed", "payout_details_masked",
]


class IncentiveError(DomainError):
    """A refused incentive action."""

    code = "incentive_error"


class ClaimRefused(IncentiveError):
    """The link can't be claimed; `code` says why: unknown, claimed, cancelled, expired."""


def _check_actor(*, study: Study, actor) -> None:
    if actor is not None:
        require_study_manager(study=study, user=actor)


def study_lock(study: Study) -> Study:
    """The study's row, locked for this transaction and read afresh: the first lock a send or
    a close takes (then participants, then ledger accounts; see services.studies)."""
    return Study.objects.select_for_update(of=("self",)).select_related("organization").get(pk=study.pk)


def claim_email(*, incentive: Incentive, reminder: bool) -> OutboundEmail:
    """The claim (or reminder) email of an incentive, unsaved, for the outbox; its link is put
    in at delivery (see core.tokens), never stored."""
    email = emails.render_claim_email(
        organization=incentive.organization,
        participant_name=incentive.participant.name,
        amount=incentive.amount,
        subject=incentive.subject,
        message=incentive.message,
        url=PLACEHOLDER,
        reminder=reminder,
        language=incentive.participant.language,
    )
    return _outbound(incentive=incentive, email=email, reminder=reminder)


def _outbound(*, incentive: Incentive, email: emails.RenderedEmail, reminder: bool) -> OutboundEmail:
    return OutboundEmail(
        organization=incentive.organization,
        purpose="incentive_reminder" if reminder else "incentive_claim",
        reference=incentive.reference,
        to_email=incentive.participant.email,
        to_name=incentive.participant.name,
        subject=email.subject,
        text_body=email.text_body,
        html_body=email.html_body,
        secret_link=secret_link_ref(emails.CLAIM_LINK, incentive.pk),
    )


def payout_returned_email(*, incentive: Incentive, reason: str) -> OutboundEmail:
    """The email (unsaved, for the outbox) asking the participant to correct their details,
    with their claim link, put in at delivery."""
    email = emails.render_payout_returned_email(incentive=incentive, reason=reason, url=PLACEHOLDER)
    outbound = _outbound(incentive=incentive, email=email, reminder=False)
    outbound.purpose = "payout_returned"
    return outbound


def _queue_email(*, incentive: Incentive, reminder: bool) -> OutboundEmail:
    return outbound_emails_queue([claim_email(incentive=incentive, reminder=reminder)])[0]


def _sendable(*, study: Study, participant_ids) -> list[StudyParticipant]:
    """The chosen participants' rows in the study, locked in id order, all in the Done group."""
    rows = list(
        StudyParticipant.objects.for_org(study.organization)
        .filter(study=study, participant_id__in=participant_ids)
        .select_related("participant")
        .select_for_update(of=("self",))
        .order_by("pk")
    )
    if len(rows) != len(participant_ids):
        raise IncentiveError(_("Some of the chosen people are not in this study; nothing was sent."), "not_in_study")
    sent = [row.participant.name for row in rows if row.status == StudyParticipant.Status.INCENTIVE_SENT]
    if sent:
        raise IncentiveError(ngettext(
            "%(names)s has been sent an incentive for this study already; nothing was sent.",
            "%(names)s have been sent an incentive for this study already; nothing was sent.", len(sent),
        ) % {"names": ", ".join(sent)}, "already_sent")
    waiting = [row.participant.name for row in rows if not row.is_done]
    if waiting:
        raise IncentiveError(ngettext(
            "%(names)s is not in the Done group yet; nothing was sent.",
            "%(names)s are not in the Done group yet; nothing was sent.", len(waiting),
        ) % {"names": ", ".join(waiting)}, "not_done")
    return rows


def _send_checked(*, study: Study, amount: Money, subject: str, actor) -> str:
    """The checks every send makes before touching a participant; returns the subject on one line."""
    _check_actor(study=study, actor=actor)
    subject = " ".join(subject.split())
    if not subject:
        raise IncentiveError(_("Write a subject for the email."), "no_subject")
    if not study.is_open:
        raise IncentiveError(_("This study is closed; reopen it to send incentives."), "study_closed")
    if amount.currency != study.currency or amount.amount_minor <= 0:
        raise IncentiveError(_("Choose an amount greater than zero, in %(currency)s.") % {"currency": study.currency}, "invalid_amount")
    return subject


@retry_on_conflict
@transaction.atomic
def incentives_send(
    *, study: Study, participant_ids, amount: Money, subject: str, message: str, actor
) -> list[Incentive]:
    """Pay each chosen Done participant once: reserve the total in one step (all or nothing),
    create one incentive each with its claim link, mark them sent, queue the emails."""
    participant_ids = sorted({int(pk) for pk in participant_ids})
    if not participant_ids:
        raise IncentiveError(_("Choose at least one participant."), "no_participants")
    study = study_lock(study)  # the page's copy may be stale: a close may have committed since
    subject = _send_checked(study=study, amount=amount, subject=subject, actor=actor)
    rows = _sendable(study=study, participant_ids=participant_ids)
    return incentives_pay_rows(study=study, rows=rows, amount=amount, subject=subject, message=message, actor=actor)


def incentives_pay_rows(
    *, study: Study, rows: list[StudyParticipant], amount: Money, subject: str, message: str, actor, approvals: bool = True
) -> list[Incentive]:
    """The writes of a send to `rows` (locked, checked Done participants of the locked `study`):
    one reserve of their total, one INSERT of the incentives, one UPDATE of the participants,
    one INSERT of the emails. `approvals=False`: a chunk of a send that was checked against the
    approval thresholds as a whole (a background send)."""
    # The participants' own rows (one per email in the organization: their yearly tax total),
    # locked in id order, so two sends in different studies check the year's total one after
    # the other: the second sees the first's incentives, and only one can pass under the threshold.
    list(
        Participant.objects.filter(pk__in=sorted({row.participant_id for row in rows}))
        .select_for_update().order_by("pk").values_list("pk", flat=True)
    )
    # Above the year's tax threshold without a W-9 on file: sent, but held for the W-9 (incentives.tax).
    held = {
        crossing["participant"].pk
        for crossing in tax.send_crossings(organization=study.organization, participants=[row.participant for row in rows], amount=amount)
        if not crossing["w9_on_file"]
    }
    budget = Budget.objects.with_accounts().select_related("organization").get(pk=study.budget_id)
    total = amount * len(rows)
    waits = approvals and requires_approval(organization=study.organization, total=total, per_participant=amount)
    count = f"{len(rows)} incentive{'s' if len(rows) != 1 else ''}"
    reservation = budget_reserve(
        budget=budget,
        amount=total,
        actor=actor,
        reference=f"study:{study.pk}",
        memo=f"{count} for {study.name}{' (awaiting approval)' if waits else ''}",
    )
    approval = None
    if waits:
        approval = approval_request(
            organization=study.organization, kind=Approval.Kind.INCENTIVES_SEND, requested_by=actor, total=total,
            per_participant=amount, summary=f"Send {count} of {amount} for {study.name}", reference=f"study:{study.pk}",
            link=reverse("studies:detail", args=[study.pk]), budget=budget, reservation=reservation,
        )
    now = timezone.now()
    nonces = [tokens.new_nonce() for _ in rows]
    incentives = [
        Incentive(
            organization=study.organization,
            study=study,
            participant=row.participant,
            budget=budget,
            amount_minor=amount.amount_minor,
            currency=amount.currency,
            token_nonce=nonce,
            token_hash=tokens.token_hash(tokens.claim_token(nonce)),
            subject=subject,
            message=message.strip(),
            sent_by=actor if getattr(actor, "pk", None) else None,
            sent_at=now,
            w9_hold=row.participant_id in held,
            status=Status.AWAITING_APPROVAL if approval else Status.UNCLAIMED,
            approval=approval,
        )
        for row, nonce in zip(rows, nonces)
    ]
    try:
        with transaction.atomic():
            Incentive.objects.bulk_create(incentives)
    except IntegrityError:  # the constraint behind the row locks: paid once per study
        raise IncentiveError(
            _("Someone has just sent these incentives; nothing was sent twice."), "already_sent"
        ) from None
    StudyParticipant.objects.filter(pk__in=[row.pk for row in rows]).update(
        status=StudyParticipant.Status.INCENTIVE_SENT, updated_at=now
    )
    if approval is None:
        _deliver(study=study, incentives=incentives, amount=amount, subject=subject, message=message.strip())
    return incentives


def _deliver(*, study: Study, incentives: list[Incentive], amount: Money, subject: str, message: str) -> None:
    """The sent incentives' claim emails (one each, through the outbox) and webhook events."""
    rendered = emails.render_claim_emails(
        organization=study.organization, participant_names=[incentive.participant.name for incentive in incentives],
        amount=amount, subject=subject, message=message, url=PLACEHOLDER,
        languages=[incentive.participant.language for incentive in incentives],
    )
    outbox = outbound_emails_queue([
        _outbound(incentive=incentive, email=email, reminder=False) for incentive, email in zip(incentives, rendered)
    ])
    for incentive, email in zip(incentives, outbox):
        incentive.claim_email = email
    Incentive.objects.bulk_update(incentives, ["claim_email"])
    emit_many(study.organization, "incentive.sent", [incentive_data(incentive) for incentive in incentives])


def _awaiting(approval: Approval) -> list[Incentive]:
    """The approval's incentives still awaiting it, locked in id order."""
    return list(
        Incentive.objects.for_org(approval.organization)
        .filter(approval=approval, status=Status.AWAITING_APPROVAL)
        .select_related("participant", "organization")
        .select_for_update(of=("self",))
        .order_by("pk")
    )


def approval_run(*, approval: Approval, actor) -> str:
    """An approved send goes out as if sent now: claim emails, `incentive.sent` events, sent_at
    now. Refused (the request keeps waiting) when its study has closed since."""
    study_id = Incentive.objects.filter(approval=approval).values_list("study_id", flat=True).first()
    study = study_lock(Study(pk=study_id))  # the study first, as every send locks (module docstring)
    incentives = _awaiting(approval)
    if not incentives:
        return _("No incentive was waiting any more.")
    if not study.is_open:
        raise IncentiveError(_("This study is closed; reopen it to send these incentives, or reject the request."), "study_closed")
    now = timezone.now()
    Incentive.objects.filter(pk__in=[incentive.pk for incentive in incentives]).update(status=Status.UNCLAIMED, sent_at=now)
    for incentive in incentives:
        incentive.status, incentive.sent_at, incentive.study = Status.UNCLAIMED, now, study
    first = incentives[0]
    _deliver(study=study, incentives=incentives, amount=first.amount, subject=first.subject, message=first.message)
    return ngettext("%(count)s claim email queued.", "%(count)s claim emails queued.", len(incentives)) % {"count": len(incentives)}


def approval_release(*, approval: Approval, actor):
    """A rejected send: its incentives are cancelled (never emailed), their money returns to the
    budget in one release, and the participants are back in the Done group."""
    incentives = _awaiting(approval)
    if not incentives:
        return None
    now = timezone.now()
    release = budget_release(
        budget=Budget.objects.with_accounts().select_related("organization").get(pk=approval.budget_id),
        amount=incentives[0].amount * len(incentives),
        actor=actor,
        reference=f"approval:{approval.pk}",
        memo="Send rejected",
    )
    Incentive.objects.filter(pk__in=[incentive.pk for incentive in incentives]).update(
        status=Status.CANCELLED, cancelled_at=now, release_transaction=release
    )
    StudyParticipant.objects.filter(
        study_id=incentives[0].study_id,
        participant_id__in=[incentive.participant_id for incentive in incentives],
        status=StudyParticipant.Status.INCENTIVE_SENT,
    ).update(status=StudyParticipant.Status.INCENTIVE_NOT_SENT, updated_at=now)
    return release


def incentive_for_token(token: str) -> Incentive | None:
    """The incentive a claim link points to, or None. The token is the scope: no organization."""
    if not plausible(token):
        return None
    return (
        Incentive.objects.select_related("organization", "study", "participant")
        .filter(token_hash=tokens.token_hash(token))
        .first()
    )


def claim_refusal(incentive: Incentive | None) -> ClaimRefused | None:
    """Why this incentive can't be claimed now, or None when it can."""
    if incentive is None:
        return ClaimRefused(_("This link is not valid. Check that you opened the whole link from the email."), "unknown")
    organization = incentive.organization
    if incentive.status == Status.CLAIMED:
        return ClaimRefused(
            _("You have claimed this incentive already, on %(date)s. Thank you!") % {"date": date_format(incentive.claimed_at, pgettext("long date", "F j, Y"))},
            "claimed",
        )
    if incentive.status == Status.AWAITING_APPROVAL:  # its link was never emailed
        return ClaimRefused(_("This link is not valid. Check that you opened the whole link from the email."), "unknown")
    if incentive.status == Status.CANCELLED:
        if organization.reply_to_email:
            message = _(
                "%(organization)s has cancelled this incentive. Please contact them at %(email)s if you think that is a mistake."
            ) % {"organization": organization.name, "email": organization.reply_to_email}
        else:
            message = _(
                "%(organization)s has cancelled this incentive. Please contact them if you think that is a mistake."
            ) % {"organization": organization.name}
        return ClaimRefused(message, "cancelled")
    if not incentive.study.is_open and not organization.claims_allowed_after_study_closes:
        return ClaimRefused(
            _("This link has expired: the study has closed. Please contact %(contact)s if you have questions.")
            % {"contact": organization.contact},
            "expired",
        )
    if incentive.status == Status.EXPIRED:  # unclaimed past the organization's period
        return ClaimRefused(
            _("This link has expired: it was not claimed in time. Please contact %(contact)s if you have questions.")
            % {"contact": organization.contact},
            "expired",
        )
    return None


@retry_on_conflict
@transaction.atomic
def incentive_claim(*, incentive: Incentive, payout_method: str, payout_details: dict) -> Incentive:
    """The participant takes the incentive: it becomes claimed, its money owed to them
    (reserved -> payable) until a payout pays it (docs/payouts.md). The details are checked,
    sealed and masked (incentives.payout_details); PayoutDetailsInvalid changes nothing."""
    refusal = claim_refusal(incentive)
    if refusal:
        raise refusal
    sealed, masked = _checked_details(incentive=incentive, method=payout_method, values=payout_details)
    now = timezone.now()
    claimed = Incentive.objects.filter(pk=incentive.pk, status=Status.UNCLAIMED).update(
        status=Status.CLAIMED, claimed_at=now, payout_method=payout_method, payout_status=PayoutStatus.OWED,
        payout_details_sealed=sealed, payout_details_masked=masked,
    )
    incentive.refresh_from_db(fields=STATE_FIELDS)
    if not claimed:  # a cancel or another claim won the race
        raise claim_refusal(incentive)
    budget_settle(
        budget=Budget.objects.with_accounts().select_related("organization").get(pk=incentive.budget_id),
        amount=incentive.amount,
        actor=f"{incentive.participant.email} (claim link)",
        reference=incentive.reference,
        memo=f"Claimed by {payout_method.replace('_', ' ')}",
    )
    emit(incentive.organization, "incentive.claimed", incentive_data(incentive))
    return incentive


def _checked_details(*, incentive: Incentive, method: str, values: dict) -> tuple[str, dict]:
    if method not in dict(incentive.organization.offered_payout_methods()):
        raise IncentiveError(_("Choose one of the payout methods offered."), "invalid_payout_method")
    details = payout_details.cleaned(method=method, values=values, currency=incentive.currency)
    return payout_details.sealed_and_masked(details)


@retry_on_conflict
@transaction.atomic
def incentive_payout_details_correct(*, incentive: Incentive, payout_method: str, payout_details: dict) -> bool:
    """The participant corrects the details of a payout the bank returned, through their claim
    link: the incentive is owed again (its money stayed payable) and goes into the next batch.
    Returns False when it is not waiting for corrected details (done already, or never returned)."""
    sealed, masked = _checked_details(incentive=incentive, method=payout_method, values=payout_details)
    corrected = Incentive.objects.filter(pk=incentive.pk, payout_status=PayoutStatus.RETURNED).update(
        payout_status=PayoutStatus.OWED, payout_method=payout_method,
        payout_details_sealed=sealed, payout_details_masked=masked, payout_details_erased_at=None,
    )
    incentive.refresh_from_db(fields=STATE_FIELDS + ["payout_details_erased_at"])
    return bool(corrected)


def _release(*, incentive: Incentive, to_status: str, stamp: str, actor, memo: str) -> bool:
    """Unclaimed -> cancelled or expired, money back to the budget. False if it already was."""
    now = timezone.now()
    changed = Incentive.objects.filter(pk=incentive.pk, status=Status.UNCLAIMED).update(
        status=to_status, **{stamp: now}
    )
    incentive.refresh_from_db(fields=STATE_FIELDS)
    if not changed:
        if incentive.status == to_status:
            return False
        raise IncentiveError(
            _("The incentive for %(name)s is %(status)s; it can't be %(action)s.") % {
                "name": incentive.participant.name, "status": incentive.get_status_display().lower(),
                "action": dict(Status.choices)[to_status].lower(),
            },
            f"already_{incentive.status}",
        )
    release = budget_release(
        budget=Budget.objects.with_accounts().select_related("organization").get(pk=incentive.budget_id),
        amount=incentive.amount,
        actor=actor,
        reference=incentive.reference,
        memo=memo,
    )
    Incentive.objects.filter(pk=incentive.pk).update(release_transaction=release)
    # The participant is back in the Done group, so they can be paid again if need be.
    StudyParticipant.objects.filter(
        study_id=incentive.study_id,
        participant_id=incentive.participant_id,
        status=StudyParticipant.Status.INCENTIVE_SENT,
    ).update(status=StudyParticipant.Status.INCENTIVE_NOT_SENT, updated_at=now)
    emit(incentive.organization, f"incentive.{to_status}", incentive_data(incentive))
    return True


@retry_on_conflict
@transaction.atomic
def incentive_cancel(*, incentive: Incentive, actor) -> bool:
    """Cancel an unclaimed incentive; its money returns to the budget at once.

    Returns False when it was cancelled already (idempotent); a claimed or expired one
    raises IncentiveError (code `already_claimed` / `already_expired`) and changes nothing.
    """
    _check_actor(study=incentive.study, actor=actor)
    return _release(
        incentive=incentive, to_status=Status.CANCELLED, stamp="cancelled_at", actor=actor, memo="Cancelled"
    )


@transaction.atomic
def incentive_remind(*, incentive: Incentive, actor) -> bool:
    """Email an unclaimed incentive's participant again, with the same claim link; counts it.
    Returns False (and sends nothing) when the incentive is no longer unclaimed."""
    _check_actor(study=incentive.study, actor=actor)
    reminded = Incentive.objects.filter(pk=incentive.pk, status=Status.UNCLAIMED).update(
        reminder_count=F("reminder_count") + 1, last_reminded_at=timezone.now()
    )
    incentive.refresh_from_db(fields=STATE_FIELDS)
    if reminded:
        _queue_email(incentive=incentive, reminder=True)
    return bool(reminded)


@transaction.atomic
def participant_mark_w9(*, participant, actor) -> int:
    """The participant's W-9 is received: their incentives held for it may be paid out.
    Returns how many were held."""
    Participant.objects.filter(pk=participant.pk, w9_submitted_at__isnull=True).update(w9_submitted_at=timezone.now())
    participant.refresh_from_db()
    return Incentive.objects.for_org(participant.organization).filter(participant=participant, w9_hold=True).update(w9_hold=False)
