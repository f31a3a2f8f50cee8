from django.urls import path

from conversations.workflows import views

app_name = "workflows"
urlpatterns = [
    path("", views.workflow_list, name="list"),
    path("new/", views.workflow_edit, name="new"),
    path("<int:workflow_id>/", views.workflow_edit, name="edit"),
    path("<int:workflow_id>/steps/", views.step_action, name="step"),
]
