import logging

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden, JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from channels.inbound import PayloadError
from channels.models import Channel
from channels.webhooks import NotAuthentic, meta_challenge, read_delivery
from conversations.services import delivery_ingest

log = logging.getLogger(__name__)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def webhook(request: HttpRequest, public_id) -> HttpResponse:
    """One endpoint per channel. Platforms authenticate with a signature, not a session."""
    channel = get_object_or_404(Channel, public_id=public_id, is_active=True)
    if request.method == "GET":
        challenge = meta_challenge(channel, request.GET)
        if challenge is None:
            return HttpResponseForbidden("verification failed")
        return HttpResponse(challenge, content_type="text/plain")
    if int(request.META.get("CONTENT_LENGTH") or 0) > settings.WEBHOOK_MAX_BYTES:
        return JsonResponse({"error": "body too large"}, status=413)
    body = request.body
    try:
        delivery = read_delivery(channel, body, request.headers)
    except NotAuthentic as exc:
        log.warning("webhook %s refused: %s", channel.public_id, exc)
        return JsonResponse({"error": str(exc)}, status=403)
    except PayloadError as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    stored = delivery_ingest(channel=channel, delivery=delivery)
    return JsonResponse({"stored": len(stored), "statuses": len(delivery.statuses), "ignored": delivery.ignored})
