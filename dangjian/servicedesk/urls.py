from django.urls import include, path

from dangjian.servicedesk import views

app_name = "servicedesk"
urlpatterns = [
    path("catalogue/", views.catalogue, name="catalogue"),
    path("catalogue/new/", views.category_edit, name="category_new"),
    path("catalogue/<int:pk>/", views.category_edit, name="category_edit"),
    path("calendar/", views.business_calendar, name="calendar"),
    path("calendar/<int:pk>/clear/", views.calendar_clear, name="calendar_clear"),
    path("rates/", include("dangjian.servicedesk.rates_urls")),
]
