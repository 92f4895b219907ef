"""The jobs there are: kind -> (what it is called, the verb for its summary, its handler).

A handler is `handler(*, organization, ids, actor, **job.params) -> jobs.results.BulkResult`; it gets one
chunk of ids at a time, inside that chunk's transaction. Handlers are named by dotted path so
this app depends on nobody.
"""

from django.utils.translation import gettext_lazy as _, pgettext_lazy

KINDS = {
    "incentives_cancel": (_("Cancelling incentives"), pgettext_lazy("bulk job summary", "Cancelled"), "incentives.services.bulk.incentives_cancel_many"),
    "incentives_resend": (_("Resending incentives"), pgettext_lazy("bulk job summary", "Resent"), "incentives.services.bulk.incentives_resend_many"),
    "incentives_send": (_("Sending incentives"), pgettext_lazy("bulk job summary", "Sent"), "incentives.services.bulk.incentives_send_many"),
}
