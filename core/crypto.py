"""Secrets at rest: payout details are sealed with Fernet (AES-128-CBC + HMAC-SHA256) under the
keys in settings.PAYOUT_DETAILS_KEYS, newest first. MultiFernet seals with the first key and
opens with any of them, so rotating is: put a new key first, `rotate` every sealed value
(`manage.py payout_details_rotate`), then drop the old key.

`mask` gives the form shown on every page ("FR76 •••• 1234"); it is kept beside the sealed
value, so pages never need the key and erasing the details leaves what people recognise.
"""

import json

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

DOT = "•"


def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(key) for key in settings.PAYOUT_DETAILS_KEYS])


def seal(values: dict) -> str:
    """The values, encrypted under the newest key; empty for no values."""
    if not values:
        return ""
    return _fernet().encrypt(json.dumps(values, sort_keys=True).encode()).decode()


def unseal(sealed: str) -> dict:
    """The values a `seal` made; {} for an erased (empty) one. A value no key opens raises."""
    if not sealed:
        return {}
    try:
        return json.loads(_fernet().decrypt(sealed.encode()))
    except InvalidToken:
        raise ValueError("These details were sealed with a key that is no longer configured.") from None


def rotate(sealed: str) -> str:
    """The same values sealed under the newest key."""
    return _fernet().rotate(sealed.encode()).decode() if sealed else ""


def mask_account(number: str) -> str:
    """An IBAN or account number with only its first and last four characters: FR76 •••• 1234."""
    compact = "".join(number.split()).upper()
    if len(compact) <= 8:
        return f"{DOT * 4} {compact[-2:]}" if compact else ""
    return f"{compact[:4]} {DOT * 4} {compact[-4:]}"


def mask_name(name: str) -> str:
    """Each word's first letter: Ada Lovelace -> A••• L•••."""
    return " ".join(f"{word[0]}{DOT * 3}" for word in name.split())


def mask_email(email: str) -> str:
    local, _, domain = email.partition("@")
    return f"{local[:1]}{DOT * 3}@{domain}" if domain else mask_name(email)
