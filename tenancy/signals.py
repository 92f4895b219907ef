from django.dispatch import Signal

# Sent inside tenancy.services.organization_settings_update's transaction, with
# organization, changed ({field: (before, after)}) and actor. A receiver returns a sentence
# saying what it did, or None.
organization_policy_changed = Signal()
