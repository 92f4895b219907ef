"""The currencies that are money today (tenancy sits below core.money, which uses this too)."""

import functools

from babel.core import get_global
from babel.numbers import get_territory_currencies


@functools.cache
def money_currencies() -> frozenset[str]:
    """ISO 4217 codes that some territory uses as legal tender today (CLDR, through Babel):
    not the codes that are no money, such as XXX (no currency), XTS (testing), XAU (gold),
    XDR (a unit of account) or fund codes like BOV, nor withdrawn currencies."""
    return frozenset(
        code
        for territory in get_global("territory_currencies")
        for code in get_territory_currencies(territory, tender=True, non_tender=False)
    )
