from django.apps import AppConfig


class IncentivesConfig(AppConfig):
    name = "incentives"
    verbose_name = "Incentives"

    def ready(self):
        from core.tokens import secret_link_register

        from .emails import CLAIM_LINK, incentive_claim_url

        secret_link_register(CLAIM_LINK, incentive_claim_url)

        from tenancy.signals import organization_policy_changed

        from .services.studies import claims_after_close_switched_off

        organization_policy_changed.connect(claims_after_close_switched_off, dispatch_uid="claims_after_close")
