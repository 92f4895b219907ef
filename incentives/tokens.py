"""Claim-link tokens: `core.tokens` with the purpose "incentives.claim".

The incentive stores the nonce and the token's SHA-256; a reminder rebuilds the same link
from the nonce.
"""

from core.tokens import derive_token, new_nonce, token_hash

__all__ = ["PURPOSE", "claim_token", "new_nonce", "token_hash"]

PURPOSE = "incentives.claim"


def claim_token(nonce: str) -> str:
    return derive_token(PURPOSE, nonce)
