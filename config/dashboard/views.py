from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from config.dashboard.charts import bar_chart
from config.dashboard.selectors import daily_series, workload
from config.web import render_page_or_region
from config.workspace import permissions
from merging.models import BackfillRun
from merging.selectors import dashboard_groups, open_group_count


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    if permissions.can_use_dashboard(request.user):
        return redirect("dashboard")
    return redirect("conversations:inbox")


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    permissions.require(permissions.can_use_dashboard(request.user), _("The Dashboard is for managers and owners."))
    series = daily_series(request.user)
    context = {
        "suggestion_groups": dashboard_groups(request.user),
        "suggestion_count": open_group_count(request.user),
        "workload": workload(request.user),
        "conversations_chart": bar_chart(
            series["conversations"],
            id="chart-conversations",
            title=_("Conversations opened per day"),
            value_label=_("Conversations"),
        ),
        "merges_chart": bar_chart(
            series["merges"], id="chart-merges", title=_("Merges per day"), value_label=_("Merges")
        ),
        "backfill": BackfillRun.objects.order_by("-created_at").first(),
    }
    return render_page_or_region(request, "dashboard/dashboard.html", "dashboard-suggestions", context)
