from django.urls import path

from conversations.inbound import views, widget_views

app_name = "inbound"
urlpatterns = [
    path("webhooks/<uuid:public_id>/", views.webhook, name="webhook"),
    path("widget.js", widget_views.widget_js, name="widget_js"),
    path("widget-demo/", widget_views.widget_demo, name="widget_demo"),
    path("webchat/<uuid:public_id>/config", widget_views.widget_config, name="widget_config"),
    path("webchat/<uuid:public_id>/sessions", widget_views.widget_sessions, name="widget_sessions"),
    path("webchat/<uuid:public_id>/messages", widget_views.widget_messages, name="widget_messages"),
    path("webchat/<uuid:public_id>/seen", widget_views.widget_seen, name="widget_seen"),
    path("webchat/<uuid:public_id>/files/<str:token>", widget_views.widget_file, name="widget_file"),
]
