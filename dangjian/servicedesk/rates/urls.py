"""The three rates and the other measures of the service desk, under /services/rates/."""

from django.urls import path

from dangjian.servicedesk.rates import views

app_name = "rates"
urlpatterns = [
    path("", views.index, name="index"),
    path("requests/", views.requests, name="requests"),
    path("export/", views.export, name="export"),
    path("classified/", views.classified, name="classified"),
]
