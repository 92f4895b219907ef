from django.urls import path

from . import views

app_name = "tenancy"
urlpatterns = [
    path("switch/", views.organization_switch, name="switch"),
    path("settings/", views.organization_settings, name="settings"),
    path("settings/api-keys/", views.api_key_create, name="api_key_create"),
    path("settings/api-keys/<int:pk>/revoke/", views.api_key_revoke, name="api_key_revoke"),
]
