from django.urls import path

from .views import budgets as views
from .views import tax

app_name = "budgets"
urlpatterns = [
    path("", views.budget_list, name="list"),
    path("tax/", tax.tax_year, name="tax"),
    path("tax/threshold/", tax.threshold_set, name="tax_threshold"),
    path("tax/participants/<int:pk>/w9/", tax.participant_w9, name="participant_w9"),
    path("tax/w9/<int:pk>/accept/", tax.w9_accept, name="w9_accept"),
    path("budgets/new/", views.budget_create, name="create"),
    path("budgets/<int:pk>/", views.budget_detail, name="detail"),
    path("budgets/<int:pk>/fund/", views.budget_fund, name="fund"),
    path("budgets/<int:pk>/withdraw/", views.budget_withdraw, name="withdraw"),
    path("budgets/<int:pk>/ledger/<int:transaction_pk>/correct/", views.budget_correct, name="correct"),
]
