from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.decorators.cache import cache_control
from django.views.i18n import JavaScriptCatalog
from django.utils.translation import gettext_lazy as _

from api.main import api as api_v1
from core.views import home
from tenancy.views import account_settings, language_set

admin.site.site_header = _("Incentives administration")

urlpatterns = [
    path("", home, name="home"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("language/", language_set, name="language_set"),
    # The page scripts' words (djangojs catalogues); base.html asks for it with ?l=<language>, so a
    # browser caches one per language.
    path("jsi18n/", cache_control(max_age=3600)(JavaScriptCatalog.as_view()), name="javascript-catalog"),
    path("account/", account_settings, name="account_settings"),
    path("organization/settings/webhooks/", include("webhooks.urls")),
    path("organization/settings/api-keys/", include("api.page_urls")),
    path("organization/", include("tenancy.urls")),
    path("incentives/", include("incentives.budget_urls")),
    path("incentives/", include("incentives.recipient_urls")),
    path("approvals/", include("approvals.urls")),
    path("payouts/", include("payouts.urls")),
    path("jobs/", include("jobs.urls")),
    path("system/", include("jobs.system_urls")),
    path("organization/audit/", include("audit.urls")),
    path("studies/", include("incentives.study_urls")),
    path("", include("incentives.urls")),
    path("", include("offers.urls")),  # /provider/... and the public /offer/, /offer-link/, /widget/ pages
    path("", include("core.urls")),
    path("rewards/", include("rewards.urls")),
    path("api/v1/", api_v1.urls),
    path("admin/", admin.site.urls),
]
