"""Run the demo's platform and SMTP sinks until Ctrl-C, printing every reply they receive."""

import logging
import signal
import threading
from email import message_from_bytes, policy

from django.core.management.base import BaseCommand

from config.demo.sink import Recorded, start_platform_sink, start_smtp_sink


class Command(BaseCommand):
    help = (
        "Answer like WhatsApp, Telegram and Meta's send APIs (HTTP) and accept every e-mail (SMTP) "
        "on loopback, so the demo's replies on every channel are sent. For the demo only."
    )

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8025, help="HTTP port of the platform APIs")
        parser.add_argument("--smtp-port", type=int, default=8026, help="SMTP port")

    def handle(self, *args, port, smtp_port, **options):
        logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every connection at INFO
        platforms, server = start_platform_sink(port)
        platforms.on_request = self._print_request
        mail, controller = start_smtp_sink(smtp_port)
        mail.on_message = self._print_mail
        self.stdout.write(
            f"Demo sink: platform APIs at {platforms.url} (WHATSAPP_API_BASE={platforms.url}/v21.0, "
            f"TELEGRAM_API_BASE and META_GRAPH_API_BASE={platforms.url}), SMTP at 127.0.0.1:{controller.port}"
        )
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        try:
            stop.wait()
        except KeyboardInterrupt:
            pass
        finally:
            server.shutdown()
            controller.stop()

    def _print_request(self, request: Recorded) -> None:
        body = request.body
        text = (body.get("text") or {}).get("body") if isinstance(body.get("text"), dict) else body.get("text")
        text = text or (body.get("message") or {}).get("text", "")
        self.stdout.write(f"[sink] POST {request.path.split('?')[0]}: {text!r}")

    def _print_mail(self, recipients: list[str], raw: bytes) -> None:
        subject = message_from_bytes(raw, policy=policy.default).get("Subject", "")
        self.stdout.write(f"[sink] e-mail to {', '.join(recipients)}: {subject!r}")
