"""Approvals in the REST API: list the requests, approve or reject one.

An API key decides in the name of the owner or admin who created it, under the same two-person
rule as the page (approvals.services.approval_refusal): a key made by the requester can't
approve their request, and one whose creator is no longer an owner or admin decides nothing.
"""

import datetime

from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status
from ninja.params import P, QueryEx
from pydantic import Field

from api.idempotency import fingerprint_of, idempotent
from api.schemas import ERRORS, BodyIn, ErrorOut, Id, IdempotencyHeader, Limit, Offset, Text, examples

from approvals import services
from approvals.models import Approval

router = Router()
DECISION_ERRORS = {**ERRORS, 403: ErrorOut}


APPROVAL_EXAMPLE = {
    "id": 7, "kind": "incentives_send", "status": "pending", "summary": "Send of 20 incentives of $150.00 in Example study",
    "amount_minor": 300_000, "currency": "USD", "per_participant_minor": 15_000, "reference": "study:3",
    "requested_by": "researcher@acme.test", "requested_at": "2026-12-03T10:15:00Z", "decided_by": "", "decided_at": None,
    "reason": "", "outcome": "",
}


class ApprovalOut(Schema):
    model_config = examples(APPROVAL_EXAMPLE)

    id: int
    kind: str
    status: str = Field(description="pending (awaiting approval), approved or rejected")
    summary: str
    amount_minor: int
    currency: str
    per_participant_minor: int | None
    reference: str
    requested_by: str
    requested_at: datetime.datetime
    decided_by: str = Field(description="Who decided, and through which channel; empty while pending.")
    decided_at: datetime.datetime | None
    reason: str
    outcome: str


def approval_out(approval: Approval) -> dict:
    fields = {name: getattr(approval, name) for name in ApprovalOut.model_fields if name not in {"requested_by", "decided_by"}}
    data = {**fields, "requested_by": approval.requested_by.email, "decided_by": approval.decided_label}
    return ApprovalOut(**data).model_dump(mode="json")


class ApprovalPage(Schema):
    model_config = examples({"count": 1, "items": [APPROVAL_EXAMPLE]})

    count: int
    items: list[ApprovalOut]


class RejectIn(BodyIn):
    reason: Text = Field(min_length=1, max_length=2000, description="Why; the requester is told.")


def _approval(request, approval_id: int) -> Approval:
    queryset = Approval.objects.for_org(request.auth.organization).select_related("requested_by")
    return get_object_or_404(queryset, pk=approval_id)


def _decide(request, approval_id, idempotency_key, body: dict, decide):
    key = request.auth
    approval = _approval(request, approval_id)

    def run():
        decided = decide(approval=approval, actor=key.created_by, via=f"API key “{key.name}” ({key.prefix}…)")
        return 200, approval_out(decided)

    status, answer = idempotent(
        organization=key.organization, key=idempotency_key, fingerprint=fingerprint_of(request.path, body), run=run
    )
    return Status(status, answer)


@router.get("/approvals", response={200: ApprovalPage, **ERRORS}, summary="List payments awaiting approval (or decided)")
def approval_list(
    request,
    status: QueryEx[Approval.Status | None, P(description="pending, approved or rejected; all if omitted")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
):
    approvals = Approval.objects.for_org(request.auth.organization).select_related("requested_by")
    if status:
        approvals = approvals.filter(status=status)
    return {"count": approvals.count(), "items": [approval_out(approval) for approval in approvals[offset : offset + limit]]}


@router.post("/approvals/{approval_id}/approve", response={200: ApprovalOut, **DECISION_ERRORS}, summary="Approve a waiting payment: it runs now")
def approval_approve(request, approval_id: Id, idempotency_key: IdempotencyHeader = None):
    """Runs the payment as if made now (emails, webhooks), once: a second approval is a 409."""
    return _decide(request, approval_id, idempotency_key, {}, services.approval_approve)


@router.post("/approvals/{approval_id}/reject", response={200: ApprovalOut, **DECISION_ERRORS}, summary="Reject a waiting payment, with a reason")
def approval_reject(request, approval_id: Id, payload: RejectIn, idempotency_key: IdempotencyHeader = None):
    """Releases the reserved money and tells the requester the reason."""
    return _decide(
        request, approval_id, idempotency_key, payload.model_dump(mode="json"),
        lambda **kwargs: services.approval_reject(reason=payload.reason, **kwargs),
    )
