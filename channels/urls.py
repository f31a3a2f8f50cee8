from django.urls import path

from channels import views

app_name = "channels"
urlpatterns = [path("webhooks/<uuid:public_id>/", views.webhook, name="webhook")]
