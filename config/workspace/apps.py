from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig


class WorkspaceConfig(AppConfig):
    """Users, roles, teams, workspace settings, login and the permission policy."""

    name = "config.workspace"
    label = "workspace"
    verbose_name = "Workspace"


class WorkspaceAdminConfig(AdminConfig):
    """Django's admin on our admin site (login limits, optional two-factor)."""

    default_site = "config.workspace.admin_site.WorkspaceAdminSite"
