"""Make a "customer" write on a channel: POST a signed webhook, as the platform would, to a running server."""

import json
import urllib.error
import urllib.request

from django.core.management.base import BaseCommand, CommandError

from channels.models import Channel
from channels.platforms import PLATFORMS
from config.demo.simulate import DEFAULT_SENDERS, BadSender, delivery_for
from config.params import parse_id


class Command(BaseCommand):
    help = (
        "Post one inbound message to a running MergeInbox exactly as the platform would (its format, signed "
        "with the channel's secret), e.g. `simulate_inbound whatsapp --from 6281234567890 --text Halo`."
    )

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=sorted(PLATFORMS), help="The channel kind")
        parser.add_argument(
            "--from",
            dest="sender",
            help="The customer's id on the platform: phone (WhatsApp), chat id (Telegram), scoped id "
            "(Messenger, Instagram), address (e-mail), session id (web chat). Each kind has a default.",
        )
        parser.add_argument("--text", required=True, help="The message")
        parser.add_argument("--name", default="Demo Customer", help="The customer's display name")
        parser.add_argument("--channel", help="Channel name or id, when there are several of this kind")
        parser.add_argument("--url", default="http://127.0.0.1:8000", help="The running server")

    def handle(self, *args, kind, sender, text, name, channel, url, **options):
        target = self._channel(kind, channel)
        sender = sender or DEFAULT_SENDERS[kind]
        try:
            delivery = delivery_for(target, sender=sender, text=text, name=name)
        except BadSender as exc:
            raise CommandError(str(exc)) from exc
        webhook_url = url.rstrip("/") + target.webhook_path
        request = urllib.request.Request(
            webhook_url,
            data=delivery.body,
            headers={"Content-Type": delivery.content_type, **delivery.headers},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                answer = json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as exc:
            detail = exc.read()[:500].decode(errors="replace")
            raise CommandError(f"{webhook_url} answered {exc.code}: {detail}") from exc
        except (urllib.error.URLError, OSError) as exc:
            raise CommandError(f"Could not reach {url} ({exc}). Is the server running (make demo)?") from exc
        if "accepted" not in answer:
            raise CommandError(f"The server did not accept the delivery: {answer}")
        self.stdout.write(
            f"{target.name}: message from {sender} accepted as delivery #{answer['accepted']} ({webhook_url}); "
            "the inbound worker stores it."
        )

    def _channel(self, kind: str, wanted: str | None) -> Channel:
        channels = Channel.objects.filter(kind=kind, is_active=True).order_by("id")
        if wanted:
            channels = channels.filter(pk=parse_id(wanted)) if parse_id(wanted) else channels.filter(name=wanted)
        found = channels.first()
        if found is None:
            names = ", ".join(Channel.objects.filter(kind=kind).values_list("name", flat=True)) or "none"
            raise CommandError(f"No active {kind} channel {wanted or ''} (channels of this kind: {names}).")
        return found
