from django.contrib.auth import views as auth_views
from django.urls import path

from config.workspace import views
from config.workspace.login import RateLimitedLoginView

urlpatterns = [
    path("login/", RateLimitedLoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("me/availability/", views.availability, name="availability"),
]
