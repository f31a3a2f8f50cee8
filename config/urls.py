"""The project's URLs: each app's own URLs, the dashboard, the admin and i18n."""

from django.contrib import admin
from django.urls import include, path

from config import live

urlpatterns = [
    path("", include("config.dashboard.urls")),
    path("", include("config.workspace.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("inbox/updates/", live.updates, name="live_updates"),
    path("live/stream/", live.stream, name="live_stream"),
    path("live/counts/", live.counts, name="live_counts"),
    path("inbox/", include("conversations.urls")),
    path("contacts/", include("contacts.urls")),
    path("merge/", include("merging.urls")),
    path("workflows/", include("conversations.workflows.urls")),
    path("admin/", admin.site.urls),
    path("", include("channels.urls")),
    path("", include("conversations.inbound.urls")),
]
