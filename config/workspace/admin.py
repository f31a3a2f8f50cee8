from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import FilteredSelectMultiple
from django.contrib.auth.admin import UserAdmin

from config.workspace.models import KnownLoginAddress, LoginFailure, Team, User, Workspace
from config.workspace.services import team_create, team_members_set


@admin.register(User)
class WorkspaceUserAdmin(UserAdmin):
    list_display = ("username", "email", "role", "is_available", "is_active", "last_login")
    list_filter = ("role", "is_available", "is_active", "is_superuser")
    fieldsets = UserAdmin.fieldsets + (("Workspace", {"fields": ("role", "is_available")}),)
    add_fieldsets = UserAdmin.add_fieldsets + (("Workspace", {"fields": ("role",)}),)


class TeamForm(forms.ModelForm):
    members = forms.ModelMultipleChoiceField(
        User.objects.filter(is_active=True), required=False, widget=FilteredSelectMultiple("members", False)
    )

    class Meta:
        model = Team
        fields = ["name"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["members"].initial = self.instance.members.all()


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    """Teams are written by the workspace services, so the team's group always follows."""

    form = TeamForm
    list_display = ("name", "member_count")
    search_fields = ("name",)

    def save_model(self, request, obj, form, change):
        if change:
            obj.save()
            team_members_set(team=obj, members=form.cleaned_data["members"])
        else:
            created = team_create(name=obj.name, members=form.cleaned_data["members"])
            obj.pk, obj.group = created.pk, created.group

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)

    @admin.display(description="Members")
    def member_count(self, team):
        return team.members.count()


@admin.register(Workspace)
class WorkspaceAdmin(admin.ModelAdmin):
    list_display = ("name", "default_phone_region", "agents_may_merge_suggestions", "unverified_keys_suggest")


@admin.register(LoginFailure)
class LoginFailureAdmin(admin.ModelAdmin):
    list_display = ("username", "ip", "at")
    search_fields = ("username", "ip")


@admin.register(KnownLoginAddress)
class KnownLoginAddressAdmin(admin.ModelAdmin):
    list_display = ("username", "ip", "last_at")
    search_fields = ("username", "ip")
