"""Resident pages (mobile-first) under /r/: submit, follow, confirm and rate; the public board."""

from django.urls import path

from dangjian.servicedesk.portal import views as portal_views
from dangjian.servicedesk.receptions import views as reception_views

app_name = "portal"
urlpatterns = [
    path("", portal_views.submit, name="submit"),
    path("mine/", portal_views.mine, name="mine"),
    path("board/", portal_views.board, name="board"),
    path("find/", portal_views.find, name="find"),
    path("services/", portal_views.services, name="services"),
    path("receptions/", reception_views.public_receptions, name="receptions"),
    path("receptions/<int:pk>/book/", reception_views.book, name="book"),
    path("receptions/bookings/<int:pk>/cancel/", reception_views.booking_cancel, name="booking_cancel"),
    path("t/<str:token>/", portal_views.track, name="track"),
    path("t/<str:token>/<slug:action>/", portal_views.act, name="act"),
]
