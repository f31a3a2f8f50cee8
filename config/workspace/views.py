from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_POST

from config.web import redirect_next
from config.workspace.services import user_set_availability


@login_required
@require_POST
def availability(request: HttpRequest) -> HttpResponse:
    """Agents set themselves available or away; away agents are never auto-assigned."""
    user_set_availability(user=request.user, available=request.POST.get("available") == "1")
    return redirect_next(request, reverse("home"))
