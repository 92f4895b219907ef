"""What a bulk action did: the shape every job handler returns, also used by small actions run
in the request."""

from collections import Counter
from dataclasses import dataclass, field

from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils.translation import gettext as _, ngettext

MAX_FAILURES_KEPT = 20


@dataclass
class BulkResult:
    done: int = 0
    skipped: Counter = field(default_factory=Counter)  # reason for people -> how many
    failed: list[str] = field(default_factory=list)  # one message for people per failed row

    def skip(self, reason: str) -> None:
        self.skipped[reason] += 1

    def fail(self, message: str) -> None:
        self.failed.append(message)

    @property
    def skipped_count(self) -> int:
        return sum(self.skipped.values())

    def summary(self) -> dict:
        """The JSON a job keeps: skip reasons and the first failure messages."""
        return {"skipped": dict(self.skipped), "failed": self.failed[:MAX_FAILURES_KEPT]}

    def describe(self, *, verb: str) -> str:
        """'Cancelled 3 incentives. Skipped 2: 1 claimed, 1 already cancelled. 1 failed: ...'"""
        parts = [ngettext("%(verb)s %(count)s incentive.", "%(verb)s %(count)s incentives.", self.done) % {"verb": verb, "count": intcomma(self.done)}]
        if self.skipped:
            reasons = ", ".join(f"{intcomma(count)} {reason}" for reason, count in self.skipped.most_common())
            parts.append(_("Skipped %(count)s: %(reasons)s.") % {"count": intcomma(self.skipped_count), "reasons": reasons})
        if self.failed:
            parts.append(_("%(count)s failed: %(messages)s") % {"count": intcomma(len(self.failed)), "messages": "; ".join(self.failed[:3])})
        return " ".join(parts)
