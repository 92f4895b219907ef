"""Endpoint secrets and signatures, per Standard Webhooks (the `standardwebhooks` library).

The secret is `whsec_` + base64 of 32 bytes derived from the endpoint's random nonce with
SECRET_KEY (HMAC-SHA256, salted with the purpose), as core.tokens derives links: it is shown
once and never stored, and a copy of the database alone can't sign. Rotating SECRET_KEY
changes every endpoint's secret (receivers must be given the new one).
"""

import base64
import datetime
import secrets

from django.utils.crypto import salted_hmac
from standardwebhooks import Webhook

PURPOSE = "webhooks.signing"


def new_nonce() -> str:
    return secrets.token_hex(16)


def endpoint_secret(nonce: str) -> str:
    digest = salted_hmac(PURPOSE, nonce, algorithm="sha256").digest()
    return "whsec_" + base64.b64encode(digest).decode()


def signed_headers(*, secret: str, event_id: str, body: str, at: datetime.datetime) -> dict[str, str]:
    """The three Standard Webhooks headers for one attempt; the timestamp is the attempt's."""
    signature = Webhook(secret).sign(msg_id=event_id, timestamp=at, data=body)
    return {
        "webhook-id": event_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature,
    }
