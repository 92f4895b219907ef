import re

from core.models import OutboundEmail
from core.money import Money
from core.services import outbound_email_bodies
from incentives.services import incentives_send
from studies.models import StudyParticipant

from ..studies.factories import add_participants

TOKEN_IN_LINK = re.compile(r"/claim/([A-Za-z0-9_-]{43})/")


def send_to(study, count, *, actor, amount_minor=2_500):
    """Send `count` new Done participants an incentive each; returns the incentives."""
    people = add_participants(study, count, StudyParticipant.Status.INCENTIVE_NOT_SENT)
    return incentives_send(
        study=study, participant_ids=[p.pk for p in people], amount=Money(amount_minor, study.currency),
        subject="Thank you", message="Hi {name}, thanks!", actor=actor,
    )


def token_from(email) -> str:
    """The claim token in a sent message, or in an outbox row's body as it is sent (the row
    itself holds a placeholder: the link is put in at delivery)."""
    body = outbound_email_bodies(email)[0] if isinstance(email, OutboundEmail) else email.body
    return TOKEN_IN_LINK.search(body).group(1)
