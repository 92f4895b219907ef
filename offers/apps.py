from django.apps import AppConfig


class OffersConfig(AppConfig):
    name = "offers"
    verbose_name = "Provider offers"

    def ready(self):
        from core.tokens import secret_link_register

        from .services import MEMBER_LINK, member_url

        secret_link_register(MEMBER_LINK, member_url)
