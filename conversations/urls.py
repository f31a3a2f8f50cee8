from django.urls import path

from conversations import views

app_name = "conversations"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("updates/", views.updates, name="updates"),
    path("c/<int:conversation_id>/", views.conversation_detail, name="detail"),
    path("c/<int:conversation_id>/older/", views.timeline_older, name="older"),
    path("c/<int:conversation_id>/send/", views.send, name="send"),
    path("c/<int:conversation_id>/comment/", views.comment, name="comment"),
    path("c/<int:conversation_id>/assign/", views.assign, name="assign"),
    path("c/<int:conversation_id>/close/", views.close, name="close"),
    path("c/<int:conversation_id>/reopen/", views.reopen, name="reopen"),
    path("messages/<int:message_id>/retry/", views.retry, name="retry"),
    path("contact/<int:contact_id>/", views.open_contact, name="contact"),
]
