from django.urls import path

from dangjian.dashboard import views

app_name = "dashboard"
urlpatterns = [
    path("", views.workbench, name="workbench"),
    path("orgs/", views.org_tree, name="org_tree"),
    path("orgs/<int:pk>/", views.org_detail, name="org_detail"),
    path("orgs/<int:pk>/manage/", views.org_manage, name="org_manage"),
    path("regions/", views.region_tree, name="region_tree"),
    path("regions/<int:pk>/", views.region_detail, name="region_detail"),
    path("regions/<int:pk>/manage/", views.region_manage, name="region_manage"),
    path("regions/<int:pk>/sites/new/", views.site_new, name="site_new"),
    path("regions/<int:pk>/units/new/", views.unit_new, name="unit_new"),
    path("sites/<int:pk>/", views.site_manage, name="site_manage"),
    path("units/<int:pk>/", views.unit_edit, name="unit_edit"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/read/", views.notifications_read, name="notifications_read"),
]
