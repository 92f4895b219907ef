"""Secret link tokens that are never stored.

token = base64url(HMAC-SHA256 keyed by SECRET_KEY, salted with the purpose, over a nonce):
256 bits, 43 url-safe characters. A row keeps the random nonce (128 bits) and the token's
SHA-256; look-ups hash the token they are given, and an email or page that needs the link
again derives it from the nonce. A copy of the database alone yields no working link, and
rotating SECRET_KEY invalidates every outstanding one.
"""

import base64
import hashlib
import hmac
import secrets

from django.conf import settings
from django.utils.crypto import salted_hmac

TOKEN_BYTES = 32
# Longer than any token: longer input is refused before it is hashed.
MAX_TOKEN_LENGTH = 100


def new_nonce() -> str:
    return secrets.token_hex(16)


def derive_token(purpose: str, nonce: str) -> str:
    """The token for `nonce`; `purpose` (e.g. "incentives.claim") keeps each kind's tokens apart."""
    digest = salted_hmac(purpose, nonce, algorithm="sha256").digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def derive_tokens(purpose: str, nonces) -> list[str]:
    """derive_token for many nonces (a million seeded rows): salted_hmac's key derived once."""
    key = hashlib.sha256((purpose + settings.SECRET_KEY).encode()).digest()
    return [
        base64.urlsafe_b64encode(hmac.new(key, nonce.encode(), hashlib.sha256).digest()).rstrip(b"=").decode()
        for nonce in nonces
    ]


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def plausible(token: str) -> bool:
    """Worth a look-up at all: not empty and not absurdly long."""
    return bool(token) and len(token) <= MAX_TOKEN_LENGTH


# --- Secret links in emails --------------------------------------------------------------
# An outbox email carries PLACEHOLDER where its personal link goes and a reference such as
# "incentive-claim:42"; the link is derived again only for the message handed to the mail
# server, so the outbox never holds it. Apps register one resolver per kind in ready().

PLACEHOLDER = "[personal link, not stored]"
_resolvers = {}


def secret_link_register(kind: str, resolver) -> None:
    """`resolver(pk: int) -> str` gives the absolute URL of the link for the object `pk`."""
    _resolvers[kind] = resolver


def secret_link_ref(kind: str, pk: int) -> str:
    if kind not in _resolvers:
        raise LookupError(f"No secret link resolver for {kind!r}.")
    return f"{kind}:{pk}"


def secret_link_url(ref: str) -> str:
    kind, _, pk = ref.rpartition(":")
    return _resolvers[kind](int(pk))
