from .models import AuditEvent


def audit_event_list(*, organization):
    return AuditEvent.objects.for_org(organization)
