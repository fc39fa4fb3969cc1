"""The three rates and the other measures of the service desk, under /services/rates/."""

from django.urls import path  # noqa: F401

app_name = "rates"
urlpatterns: list = []
