"""The two-person rule: payments above the organization's threshold wait for a second owner or admin.

A service that pays (a send, a withdrawal, a bulk reward file, an offer grant) asks
`requires_approval`; when it says yes, the service reserves the money as usual, leaves what it
made in an "awaiting approval" state and calls `approval_request` in its own transaction.
`approval_approve` then runs the payment as if it were made at that moment (kinds.py), once:
the approval's row is locked and its status checked; `approval_reject` releases the money.
Who may decide is one rule, `approval_refusal`: an owner or admin, never the requester.
"""

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.db import retry_on_conflict
from core.errors import DomainError, InvalidInput, NotAllowed
from core.money import Money
from core.services import outbound_email_queue
from tenancy.models import Membership, Organization, User
from webhooks.events import emit
from webhooks.payloads import approval_data

from .kinds import handler
from .models import Approval

Status = Approval.Status


class ApprovalError(DomainError):
    """A refused decision on an approval (decided already, its payment no longer possible)."""

    code = "approval_error"


def requires_approval(*, organization: Organization, total: Money, per_participant: Money | None = None) -> bool:
    """Whether a payment of `total` (at most `per_participant` to any one person) must wait.

    Above either of the organization's thresholds it does; with no threshold set nothing does.
    An amount in another currency than the thresholds' can't be compared without an exchange
    rate, so it waits whenever a threshold is set.
    """
    total_above = organization.approval_total_above_minor
    each_above = organization.approval_participant_above_minor
    if total_above is None and each_above is None:
        return False
    if total.currency != organization.approval_currency:
        return True
    if total_above is not None and total.amount_minor > total_above:
        return True
    return each_above is not None and per_participant is not None and per_participant.amount_minor > each_above


def _absolute(path: str) -> str:
    return settings.SITE_URL + path


def approvers(organization: Organization, *, besides: User | None = None):
    """The owners and admins who may decide a request of `besides`."""
    users = User.objects.filter(
        is_active=True, memberships__organization=organization, memberships__role__in=Membership.MANAGERS
    ).order_by("pk")
    return users.exclude(pk=besides.pk) if besides is not None else users


def email_approvers(organization: Organization, *, purpose: str, reference: str, compose, besides: User | None = None) -> None:
    """Email each owner and admin (but `besides`) through the outbox, in their own language:
    `compose()` gives the subject and body, called under each one's language."""
    for user in approvers(organization, besides=besides):
        with translation.override(user.email_language):
            subject, body = compose()
            outbound_email_queue(
                organization=organization, purpose=purpose, reference=reference,
                to_email=user.email, to_name=str(user), subject=subject, text_body=body,
            )


def approval_request(
    *,
    organization: Organization,
    kind: str,
    requested_by: User,
    total: Money,
    summary: str,
    reference: str,
    per_participant: Money | None = None,
    link: str = "",
    budget=None,
    payload: dict | None = None,
    reservation=None,
) -> Approval:
    """Record a payment that waits, in the caller's transaction (which has reserved its money),
    and tell the approvers: one email each through the outbox, a webhook event."""
    if not getattr(requested_by, "pk", None):
        raise NotAllowed(_("Only a person can ask for a payment above the approval threshold."), "no_requester")
    approval = Approval.objects.create(
        organization=organization,
        kind=kind,
        requested_by=requested_by,
        amount_minor=total.amount_minor,
        currency=total.currency,
        per_participant_minor=per_participant.amount_minor if per_participant is not None else None,
        summary=summary[:300],
        reference=reference,
        link=link,
        budget=budget,
        payload=payload or {},
        reservation=reservation,
    )
    page = _absolute(reverse("approvals:list"))
    email_approvers(
        organization, purpose="approval_requested", reference=f"approval:{approval.pk}", besides=requested_by,
        compose=lambda: (
            _("Approval needed: %(summary)s") % {"summary": approval.summary},
            _(
                "%(requester)s asks for: %(summary)s (%(amount)s).\n\n"
                "It is above the approval threshold of %(organization)s, so it waits for an owner or admin other than them. "
                "Its money is reserved meanwhile.\n\nApprove or reject it: %(page)s\n"
            ) % {"requester": requested_by, "summary": approval.summary, "amount": approval.amount, "organization": organization, "page": page},
        ),
    )
    emit(organization, "approval.requested", approval_data(approval))
    return approval


def approval_refusal(*, approval: Approval, user: User | None) -> NotAllowed | None:
    """Why `user` may not decide this request, or None: owners and admins decide, never the
    person who asked (the two-person rule). Views, the API and templates all ask this."""
    if user is None or not getattr(user, "pk", None):
        return NotAllowed(_("Only an owner or admin of the organization can approve payments."), "not_approver")
    if user.pk == approval.requested_by_id:
        return NotAllowed(
            _("You asked for this payment, so another owner or admin must approve or reject it (two-person rule)."),
            "own_request",
        )
    role = Membership.objects.filter(user=user, organization_id=approval.organization_id).values_list("role", flat=True).first()
    if role not in Membership.MANAGERS:
        return NotAllowed(_("Only an owner or admin of the organization can approve or reject payments."), "not_approver")
    return None


def _lock_pending(approval: Approval, actor: User) -> Approval:
    refusal = approval_refusal(approval=approval, user=actor)
    if refusal:
        raise refusal
    locked = Approval.objects.select_for_update().select_related("organization", "requested_by").get(pk=approval.pk)
    if locked.status != Status.PENDING:
        raise ApprovalError(
            _("This request was %(status)s already, by %(who)s; nothing was done again.")
            % {"status": locked.get_status_display().lower(), "who": locked.decided_label},
            f"already_{locked.status}",
        )
    return locked


def _decided(approval: Approval, *, status: str, actor: User, via: str, **fields) -> Approval:
    approval.status = status
    approval.decided_by = actor
    approval.decided_label = f"{actor.email} ({via})" if via else actor.email
    approval.decided_at = timezone.now()
    for name, value in fields.items():
        setattr(approval, name, value)
    approval.save(update_fields=["status", "decided_by", "decided_label", "decided_at", *fields])
    return approval


def _tell_requester(approval: Approval, *, subject, text) -> None:
    """One email to who asked, in their language: `subject()` and `text()` are written then."""
    with translation.override(approval.requested_by.email_language):
        requests = _("Your requests: %(link)s") % {"link": f"{_absolute(reverse('approvals:list'))}?status="}
        outbound_email_queue(
            organization=approval.organization,
            purpose=f"approval_{approval.status}",
            reference=f"approval:{approval.pk}",
            to_email=approval.requested_by.email,
            to_name=str(approval.requested_by),
            subject=subject(),
            text_body=f"{text()}\n\n{requests}\n",
        )


@retry_on_conflict
@transaction.atomic
def approval_approve(*, approval: Approval, actor: User, via: str = "") -> Approval:
    """Run the waiting payment now, exactly once: of two approvals at the same time, the
    second waits for the row lock and finds it approved. If the payment can no longer be made
    (the study closed, the offer moved on) the refusal is raised and the request still waits."""
    approval = _lock_pending(approval, actor)
    outcome = handler(approval.kind, "run")(approval=approval, actor=actor) or ""
    _decided(approval, status=Status.APPROVED, actor=actor, via=via, outcome=outcome[:500])
    _tell_requester(
        approval,
        subject=lambda: _("Approved: %(summary)s") % {"summary": approval.summary},
        text=lambda: (_("%(actor)s approved your request: %(summary)s (%(amount)s).") % {"actor": actor, "summary": approval.summary, "amount": approval.amount} + f" {outcome}").strip(),
    )
    emit(approval.organization, "approval.approved", approval_data(approval))
    return approval


@retry_on_conflict
@transaction.atomic
def approval_reject(*, approval: Approval, actor: User, reason: str, via: str = "") -> Approval:
    """Refuse the waiting payment with a reason: its reserved money is released at once and the
    requester is told why."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("Say why you reject it: the person who asked is told."), "reason_required")
    approval = _lock_pending(approval, actor)
    release = handler(approval.kind, "release")(approval=approval, actor=actor)
    _decided(approval, status=Status.REJECTED, actor=actor, via=via, reason=reason[:2000], release=release)
    _tell_requester(
        approval,
        subject=lambda: _("Rejected: %(summary)s") % {"summary": approval.summary},
        text=lambda: _(
            "%(actor)s rejected your request: %(summary)s (%(amount)s).\n\nReason: %(reason)s\n\n"
            "Its reserved money is back where it came from; nothing was paid."
        ) % {"actor": actor, "summary": approval.summary, "amount": approval.amount, "reason": reason},
    )
    emit(approval.organization, "approval.rejected", approval_data(approval))
    return approval
