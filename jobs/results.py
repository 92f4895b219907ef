"""What a bulk action did: the shape every job handler returns, also used by small actions run
in the request."""

from collections import Counter
from dataclasses import dataclass, field

from django.contrib.humanize.templatetags.humanize import intcomma

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

    def describe(self, *, verb: str, noun: str = "incentive") -> str:
        """'Cancelled 3 incentives. Skipped 2: 1 claimed, 1 already cancelled. 1 failed: ...'"""
        parts = [f"{verb} {intcomma(self.done)} {noun}{'' if self.done == 1 else 's'}."]
        if self.skipped:
            reasons = ", ".join(f"{intcomma(count)} {reason}" for reason, count in self.skipped.most_common())
            parts.append(f"Skipped {intcomma(self.skipped_count)}: {reasons}.")
        if self.failed:
            parts.append(f"{intcomma(len(self.failed))} failed: {'; '.join(self.failed[:3])}")
        return " ".join(parts)
