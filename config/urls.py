from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from config import views
from config.login import RateLimitedLoginView

urlpatterns = [
    path("", views.home, name="home"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("login/", RateLimitedLoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("inbox/", include("conversations.urls")),
    path("contacts/", include("contacts.urls")),
    path("merge/", include("merging.urls")),
    path("workflows/", include("conversations.workflows.urls")),
    path("me/availability/", views.availability, name="availability"),
    path("admin/", admin.site.urls),
    path("", include("channels.urls")),
]
