from django.apps import AppConfig


class WorkspaceConfig(AppConfig):
    """Users, roles, teams and workspace settings live beside the project settings."""

    name = "config"
    label = "workspace"
    verbose_name = "Workspace"
