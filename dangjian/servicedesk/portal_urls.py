"""Resident pages (mobile-first) under /r/: submit, follow, confirm and rate; the public board."""

from django.urls import path

app_name = "portal"
urlpatterns: list = []
