import logging

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from channels.delivery_log import delivery_accept
from channels.platforms import NotAuthentic, authenticate, meta_challenge, webhook_max_bytes
from channels.rate_limits import rate_limit_check, webhook_limits
from channels.selectors import webhook_channel
from config.web import client_ip

log = logging.getLogger(__name__)


def too_many_requests(wait: int) -> JsonResponse:
    response = JsonResponse({"error": f"Too many requests; try again in {wait} seconds."}, status=429)
    response["Retry-After"] = str(wait)
    return response


@csrf_exempt
@require_http_methods(["GET", "POST"])
def webhook(request: HttpRequest, public_id) -> HttpResponse:
    """One endpoint per channel. Authentic deliveries are kept and answered at once; workers process them.

    Only a wrong signature (403, nothing kept) and a body over WEBHOOK_MAX_BYTES (413) are refused:
    a delivery we cannot read is kept as failed and can be replayed, never answered 400 and lost.
    """
    channel = webhook_channel(public_id)
    if channel is None:
        raise Http404("no such channel")
    if request.method == "GET":
        challenge = meta_challenge(channel, request.GET)
        if challenge is None:
            return HttpResponseForbidden("verification failed")
        return HttpResponse(challenge, content_type="text/plain")
    if channel.platform.public_senders:
        wait = rate_limit_check(limits=webhook_limits(), visitor=client_ip(request), channel_id=channel.pk)
        if wait is not None:
            return too_many_requests(wait)
    limit = webhook_max_bytes(channel)
    if int(request.META.get("CONTENT_LENGTH") or 0) > limit:
        return JsonResponse({"error": "body too large"}, status=413)
    # Read directly, not `request.body`: e-mail with attachments may exceed
    # DATA_UPLOAD_MAX_MEMORY_SIZE, which stays at WEBHOOK_MAX_BYTES for every other endpoint.
    body = request.read(limit + 1)
    if len(body) > limit:
        return JsonResponse({"error": "body too large"}, status=413)
    try:
        authenticate(channel, body, request.headers)
    except NotAuthentic as exc:
        log.warning("webhook %s refused: %s", channel.public_id, exc)
        return JsonResponse({"error": str(exc)}, status=403)
    delivery = delivery_accept(channel=channel, body=body, headers=request.headers)
    return JsonResponse({"accepted": delivery.pk})
