import logging
import re

# Claim, offer and widget tokens are 43 url-safe characters; anything that long is redacted.
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{40,}")


def redact(value):
    return TOKEN_PATTERN.sub("[redacted]", value) if isinstance(value, str) else value


class RedactTokensFilter(logging.Filter):
    """Keeps secret tokens out of logs (request lines of runserver and gunicorn, errors)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(str(record.msg))
        if isinstance(record.args, dict):
            record.args = {key: redact(value) for key, value in record.args.items()}
        elif record.args:
            record.args = tuple(redact(value) for value in record.args)
        return True
