from django.urls import path

from . import views

app_name = "payouts"

urlpatterns = [
    path("", views.payout_list, name="list"),
    path("batches/", views.payout_batch_create, name="batch_create"),
    path("batches/<int:pk>/", views.payout_batch_detail, name="batch_detail"),
    path("batches/<int:pk>/file/", views.payout_batch_download, name="batch_download"),
    path("batches/<int:pk>/file/<int:index>/", views.payout_batch_download, name="batch_download_file"),
    path("batches/<int:pk>/sent/", views.payout_batch_mark_sent, name="batch_mark_sent"),
    path("payouts/<int:pk>/failed/", views.payout_mark_failed, name="payout_mark_failed"),
]
