"""Live updates for open pages: a cursor that changes when something the user may see changes.

It sits at the project level because it watches every app (messages and merge suggestions).
"""

import json

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.utils.crypto import salted_hmac
from django.views.decorators.http import require_GET

from config.workspace import permissions
from conversations.models import Message
from merging.selectors import visible_suggestions


def live_cursor(user) -> str:
    """Changes whenever a message or a merge suggestion the user may see is stored. Opaque (a keyed
    hash, not the ids): row ids are global, so their gaps would show traffic on hidden channels."""
    last_message = permissions.visible(user, Message.objects.all()).order_by("-pk").values_list("pk", flat=True)
    last_suggestion = visible_suggestions(user).order_by("-pk").values_list("pk", flat=True)
    state = f"{user.pk}:{last_message.first() or 0}.{last_suggestion.first() or 0}"
    return salted_hmac("config.live.cursor", state, algorithm="sha256").hexdigest()[:20]


@login_required
@require_GET
def updates(request: HttpRequest) -> HttpResponse:
    """Polled every 1.5 s by every open page: 204 when nothing the user may see is new since the
    page's cursor, else 200 with an `inbox-changed` trigger. The cursor is server-side (highest
    visible message and suggestion ids), so it works across any number of processes."""
    cursor = live_cursor(request.user)
    response = HttpResponse(status=204 if request.GET.get("cursor") in (cursor, None, "") else 200)
    response["X-Updates-Cursor"] = cursor
    if response.status_code == 200:
        response["HX-Trigger"] = json.dumps({"inbox-changed": {"cursor": cursor}})
    return response
