from django.urls import path

from dangjian.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.sign_in, name="login"),
    path("login/code/", views.login_code, name="login_code"),
    path("logout/", views.sign_out, name="logout"),
    path("security/", views.security, name="security"),
]
