"""Channel access (managers and owners): which agents and teams may work each channel."""

from django import forms
from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_GET, require_http_methods
from guardian.shortcuts import get_groups_with_perms, get_users_with_perms

from channels.models import Channel
from channels.selectors import inbound_health
from channels.services import channel_access_set
from config.workspace import permissions
from config.workspace.models import Role, Team, User

managers_only = permissions.view_requires(
    permissions.can_manage_channel_access, _lazy("Channel access is managed by managers and owners.")
)


class AccessForm(forms.Form):
    agents = forms.ModelMultipleChoiceField(
        queryset=User.objects.filter(role=Role.AGENT, is_active=True).order_by("username"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=gettext_lazy("Agents"),
    )
    teams = forms.ModelMultipleChoiceField(
        queryset=Team.objects.order_by("name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=gettext_lazy("Teams"),
    )


@login_required
@require_GET
@managers_only
def channel_list(request: HttpRequest) -> HttpResponse:
    rows = []
    for channel in Channel.objects.order_by("kind", "name"):
        users = get_users_with_perms(channel, only_with_perms_in=["access_channel"], with_group_users=False)
        rows.append(
            {
                "channel": channel,
                "agents": sorted(u.username for u in users),
                "teams": sorted(g.team.name for g in get_groups_with_perms(channel) if hasattr(g, "team")),
            }
        )
    return render(request, "channels/access_list.html", {"rows": rows})


@login_required
@require_http_methods(["GET", "POST"])
@managers_only
def channel_access(request: HttpRequest, channel_id: int) -> HttpResponse:
    channel = get_object_or_404(Channel, pk=channel_id)
    current_users = get_users_with_perms(channel, only_with_perms_in=["access_channel"], with_group_users=False)
    current_teams = Team.objects.filter(group__in=get_groups_with_perms(channel))
    form = AccessForm(
        request.POST if request.method == "POST" else None,
        initial={"agents": list(current_users), "teams": list(current_teams)},
    )
    if request.method == "POST" and form.is_valid():
        channel_access_set(
            actor=request.user, channel=channel, agents=form.cleaned_data["agents"], teams=form.cleaned_data["teams"]
        )
        flash.success(request, _("Access to %(channel)s saved.") % {"channel": channel.name})
        return redirect("channels:access_list")
    return render(request, "channels/access_form.html", {"channel": channel, "form": form})


@login_required
@require_GET
@permissions.view_requires(permissions.is_manager, _lazy("The inbound log is shown to managers and owners."))
def inbound_status(request: HttpRequest) -> HttpResponse:
    """Managers: is the inbound log keeping up? (JSON for monitoring with ?format=json.)"""
    health = inbound_health()
    if request.GET.get("format") == "json":
        return JsonResponse(health)
    return render(request, "channels/inbound_health.html", {"health": health})
