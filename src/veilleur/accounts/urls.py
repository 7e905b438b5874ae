from django.contrib.auth import views as auth_views
from django.urls import path

from veilleur.accounts import views
from veilleur.accounts.forms import EmailLoginForm

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="accounts/login.html",
            authentication_form=EmailLoginForm,
            redirect_authenticated_user=True,
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("setup/<str:token>/", views.setup, name="setup"),
    path("healthz", views.health, name="health"),
]
