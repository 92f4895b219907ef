"""The one error type of the domain: a refused action, said for people.

Every app's refusals are subclasses of DomainError. It carries a message written for people,
a code for machines and the HTTP status that fits it. The API answers it as
`{"code", "message"}` with that status (api.main); a page shows the message where the person
is looking (core.refusals): a full page re-renders its form with it, an htmx request gets it
swapped into the dialog or the toast area.
"""


class DomainError(Exception):
    """A refused action; nothing was changed. `message` is for people, `code` for the API."""

    code = "refused"
    status = 409  # a state conflict, unless a subclass says otherwise

    def __init__(self, message: str, code: str | None = None, *, status: int | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        if status:
            self.status = status


class InvalidInput(DomainError):
    """The request itself is wrong (an amount out of range, a field missing)."""

    code = "invalid"
    status = 422


class NotAllowed(DomainError):
    """The person may not do this (a viewer writing, a researcher on another's study)."""

    code = "not_allowed"
    status = 403


class NotFound(DomainError):
    """What the request names is not (or not in this organization)."""

    code = "not_found"
    status = 404
