from . import system


def beat_warning(request):
    """`beat_is_late` for the base template's banner: owners and admins are told when scheduled
    work has stopped. A callable, so only full pages (not htmx fragments) make the query."""
    membership = getattr(request, "membership", None)
    if membership is None or not membership.is_manager:
        return {}
    return {"beat_is_late": system.beat_is_late}
