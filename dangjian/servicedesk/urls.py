from django.urls import include, path

from dangjian.servicedesk.catalogue import views
from dangjian.servicedesk.receptions import views as reception_views
from dangjian.servicedesk.requests import views as request_views

app_name = "servicedesk"
urlpatterns = [
    path("requests/", request_views.queue, name="queue"),
    path("requests/new/", request_views.desk, name="desk"),
    path("requests/new/people/", request_views.desk_people, name="desk_people"),
    path("requests/<int:pk>/", request_views.detail, name="request"),
    path("requests/<int:pk>/act/<slug:action>/", request_views.act, name="request_act"),
    path("requests/<int:pk>/contact/", request_views.contact, name="request_contact"),
    path("requests/<int:pk>/attachments/<int:attachment_pk>/", request_views.attachment, name="request_attachment"),
    path("callbacks/", request_views.callbacks, name="callbacks"),
    path("receptions/", reception_views.receptions, name="receptions"),
    path("receptions/<int:pk>/", reception_views.reception, name="reception"),
    path("receptions/<int:pk>/cancel/", reception_views.reception_cancel, name="reception_cancel"),
    path("receptions/<int:pk>/raise/<int:booking_pk>/", reception_views.booking_raise, name="booking_raise"),
    path("catalogue/", views.catalogue, name="catalogue"),
    path("catalogue/new/", views.category_edit, name="category_new"),
    path("catalogue/<int:pk>/", views.category_edit, name="category_edit"),
    path("calendar/", views.business_calendar, name="calendar"),
    path("calendar/<int:pk>/clear/", views.calendar_clear, name="calendar_clear"),
    path("rates/", include("dangjian.servicedesk.rates.urls")),
]
