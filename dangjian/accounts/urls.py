from django.urls import path

from dangjian.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.sign_in, name="login"),
    path("login/code/", views.login_code, name="login_code"),
    path("logout/", views.sign_out, name="logout"),
    path("security/", views.security, name="security"),
    path("welcome/<str:uid>/<str:token>/", views.welcome, name="welcome"),
    path("users/", views.user_list, name="users"),
    path("users/new/", views.user_new, name="user_new"),
    path("users/<int:pk>/", views.user_detail, name="user_detail"),
    path("audit/", views.audit, name="audit"),
    path("audit/export/", views.audit_export, name="audit_export"),
    path("settings/", views.settings_page, name="settings"),
]
