from django.urls import path

from dangjian.people import views

app_name = "people"
urlpatterns = [
    path("", views.person_list, name="list"),
    path("new/", views.person_create, name="create"),
    path("validate/", views.validate_field, name="validate"),
    path("export/", views.person_export, name="export"),
    path("households/", views.household_list, name="households"),
    path("<int:pk>/", views.person_detail, name="detail"),
    path("<int:pk>/edit/", views.person_edit, name="edit"),
    path("<int:pk>/status/", views.person_status, name="status"),
    path("<int:pk>/reveal/<str:field>/", views.person_reveal, name="reveal"),
]
