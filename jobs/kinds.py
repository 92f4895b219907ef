"""The jobs there are: kind -> (what it is called, the verb for its summary, its handler).

A handler is `handler(*, organization, ids, actor, **job.params) -> jobs.results.BulkResult`; it gets one
chunk of ids at a time, inside that chunk's transaction. Handlers are named by dotted path so
this app depends on nobody.
"""

KINDS = {
    "incentives_cancel": ("Cancelling incentives", "Cancelled", "incentives.services.bulk.incentives_cancel_many"),
    "incentives_resend": ("Resending incentives", "Resent", "incentives.services.bulk.incentives_resend_many"),
    "incentives_send": ("Sending incentives", "Sent", "incentives.services.bulk.incentives_send_many"),
}
