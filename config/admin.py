from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from config.models import LoginFailure, Team, User, Workspace


@admin.register(User)
class WorkspaceUserAdmin(UserAdmin):
    list_display = ("username", "email", "role", "is_available", "is_active", "last_login")
    list_filter = ("role", "is_available", "is_active", "is_superuser")
    fieldsets = UserAdmin.fieldsets + (("Workspace", {"fields": ("role", "is_available")}),)
    add_fieldsets = UserAdmin.add_fieldsets + (("Workspace", {"fields": ("role",)}),)


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "member_count")
    search_fields = ("name",)
    filter_horizontal = ("members",)

    @admin.display(description="Members")
    def member_count(self, team):
        return team.members.count()


@admin.register(Workspace)
class WorkspaceAdmin(admin.ModelAdmin):
    list_display = ("name", "default_phone_region", "agents_may_merge_suggestions")


@admin.register(LoginFailure)
class LoginFailureAdmin(admin.ModelAdmin):
    list_display = ("username", "ip", "at")
    search_fields = ("username", "ip")
