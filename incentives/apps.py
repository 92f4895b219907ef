from django.apps import AppConfig


class IncentivesConfig(AppConfig):
    name = "incentives"
    verbose_name = "Incentives"

    def ready(self):
        from core.tokens import secret_link_register

        from .emails import CLAIM_LINK, incentive_claim_url

        secret_link_register(CLAIM_LINK, incentive_claim_url)
