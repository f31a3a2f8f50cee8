from django.apps import AppConfig


class WorkspaceConfig(AppConfig):
    """Users, roles, teams, workspace settings, login and the permission policy."""

    name = "config.workspace"
    label = "workspace"
    verbose_name = "Workspace"
