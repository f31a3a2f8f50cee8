from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from config import permissions
from config.charts import bar_chart
from config.htmx import render_page_or_region
from config.selectors import daily_series, workload
from merging.models import BackfillRun
from merging.selectors import dashboard_suggestions, open_suggestion_count


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
        "suggestions": dashboard_suggestions(request.user),
        "suggestion_count": open_suggestion_count(request.user),
        "workload": workload(request.user),
        "conversations_chart": bar_chart(series["conversations"], label=_("Conversations opened per day")),
        "merges_chart": bar_chart(series["merges"], label=_("Merges per day")),
        "backfill": BackfillRun.objects.order_by("-created_at").first(),
    }
    return render_page_or_region(request, "workspace/dashboard.html", "dashboard-suggestions", context)


@login_required
@require_POST
def availability(request: HttpRequest) -> HttpResponse:
    """Agents set themselves available or away; away agents are never auto-assigned."""
    from config.services import user_set_availability

    user_set_availability(user=request.user, available=request.POST.get("available") == "1")
    url = request.POST.get("next", "")
    return redirect(url if url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}) else "home")
