from django.urls import path

from . import views

app_name = "approvals"
urlpatterns = [
    path("", views.approval_list, name="list"),
    path("<int:pk>/approve/", views.approval_approve, name="approve"),
    path("<int:pk>/reject/", views.approval_reject, name="reject"),
]
