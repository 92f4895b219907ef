from django.urls import path

from . import views

app_name = "core"
urlpatterns = [
    path("outbox/", views.outbox_list, name="outbox"),
    path("outbox/<int:pk>/", views.outbox_detail, name="outbox_detail"),
    path("outbox/<int:pk>/html/", views.outbox_html, name="outbox_html"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("tables/<str:table_name>/columns/", views.table_columns, name="table_columns"),
]
