"""The email backend used when there is no mail server (no EMAIL_HOST)."""

from django.core.mail.backends.console import EmailBackend

from .logging import redact


class RedactingConsoleBackend(EmailBackend):
    """Prints each email readably (headers and text part) with anything shaped like a secret
    token replaced by [redacted]: a console log is a log, and a personal link in it would let
    whoever reads it claim the money. The email itself is in the outbox (/outbox/)."""

    def write_message(self, message):
        headers = [
            ("From", message.from_email),
            ("To", ", ".join(message.to)),
            ("Subject", message.subject),
            *((name, value) for name, value in message.extra_headers.items() if name.startswith("X-")),
        ]
        lines = [f"{name}: {value}" for name, value in headers]
        if getattr(message, "alternatives", None):
            lines.append("(the HTML part is in the outbox)")
        self.stream.write(redact("\n".join(lines) + "\n\n" + message.body) + "\n" + "-" * 79 + "\n")
