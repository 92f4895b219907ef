"""Field types shared by the API's routers: bounded ids, amounts, text and dates.

The bounds keep every input inside what PostgreSQL stores (BIGINT ids, no NUL in text,
dates Python can convert to UTC), so odd input is a 422, never a 500.
"""

import datetime
from typing import Annotated

from ninja import Schema
from ninja.params import HeaderEx, P, PathEx, QueryEx
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

MAX_ID = 2**63 - 1
MAX_AMOUNT_MINOR = 10**15


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("text can't contain NUL characters")
    return value


def _as_utc(value: datetime.datetime) -> datetime.datetime:
    """Naive datetimes are read as UTC; all come back in UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=datetime.UTC)
    try:
        return value.astimezone(datetime.UTC)
    except OverflowError:
        raise ValueError("date out of range") from None


Text = Annotated[str, AfterValidator(_no_nul)]
UtcDateTime = Annotated[datetime.datetime, AfterValidator(_as_utc)]
Id = PathEx[int, P(ge=1, le=MAX_ID)]
ObjectId = Annotated[int, Field(ge=1, le=MAX_ID)]
# Strict: "1000" (a string), 1000.0 or true is a 422, never read as a number.
AmountMinor = Annotated[int, Field(strict=True, gt=0, le=MAX_AMOUNT_MINOR, description="Integer minor units (cents).", examples=[2500])]
Days = Annotated[int, Field(strict=True, ge=0, le=36_500)]
# A header's text limit: pydantic says "at most 200 characters" for a str (not "items", as for a list).
IdempotencyKey = Annotated[str, StringConstraints(max_length=200), AfterValidator(_no_nul)]
# The optional `Idempotency-Key` header of a money-moving POST (api/idempotency.py).
IdempotencyHeader = HeaderEx[
    IdempotencyKey | None,
    P(alias="Idempotency-Key", description="At most 200 characters. Retries with the same key and body return the first response."),
]
Limit = QueryEx[int, P(ge=1, le=200, description="Page size.")]
Offset = QueryEx[int, P(ge=0, le=1_000_000, description="Rows to skip.")]


class BodyIn(BaseModel):
    """A request body: a JSON object of known fields. An unknown field (`amount` for
    `amount_minor`), an array or a bare value is a 422, not silently ignored, since an
    omitted field can mean "everything" (redeem) or "no hold" (create)."""

    model_config = ConfigDict(extra="forbid")


class ErrorOut(Schema):
    code: str
    message: str

    model_config = ConfigDict(json_schema_extra={"examples": [{"code": "insufficient_balance", "message": "This reward has $10.00 available; you asked to redeem $10.50."}]})


ERRORS = {401: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


def examples(*items):
    """An OpenAPI example for a schema (schemathesis and the docs page use them)."""
    return ConfigDict(json_schema_extra={"examples": list(items)})
