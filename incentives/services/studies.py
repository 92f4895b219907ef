"""A study's lifecycle where it touches incentives: closing expires what may no longer be claimed.

Locks are taken in one order by every service that pays from a study: the study row, then
its participants, then the ledger accounts. A send waits for a close in flight (and then sees
the study closed), and a close waits for a send in flight (and then expires what it sent).
"""

from django.db import transaction
from django.utils import timezone

from studies.models import Study
from studies.services import require_study_manager

from . import incentives_expire_for_study, study_lock


@transaction.atomic
def study_close(*, study: Study, actor) -> Study:
    """Close an open study. Unless the organization allows claims after a study closes, its
    unclaimed incentives expire now and their money returns to the budget. Closing a closed
    study changes nothing (a second click, a retried request)."""
    require_study_manager(study=study, user=actor)
    locked = study_lock(study)
    if locked.status == Study.Status.OPEN:
        locked.status, locked.closed_at = Study.Status.CLOSED, timezone.now()
        locked.save(update_fields=["status", "closed_at"])
        if not locked.organization.claims_allowed_after_study_closes:
            incentives_expire_for_study(study=locked, actor=actor)
    study.refresh_from_db()
    return study


@transaction.atomic
def study_reopen(*, study: Study, actor) -> Study:
    """Open a closed study again; incentives it expired stay expired. Reopening an open study
    changes nothing."""
    require_study_manager(study=study, user=actor)
    locked = study_lock(study)
    if locked.status != Study.Status.OPEN:
        locked.status, locked.closed_at = Study.Status.OPEN, None
        locked.save(update_fields=["status", "closed_at"])
    study.refresh_from_db()
    return study
