import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from channels.models import ChannelKind
from channels.services import channel_create


class Command(BaseCommand):
    help = "Connect a channel; prints its id, webhook path and secret as one JSON object."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=ChannelKind.values)
        parser.add_argument("name")
        parser.add_argument("--secret", help="Inbound secret (Meta app secret, Telegram secret token, bearer)")
        parser.add_argument("--verify-token", default="", help="Meta webhook verify token")
        parser.add_argument("--access-token", default="", help="Outbound token (Graph API token, bot token)")
        parser.add_argument(
            "--setting",
            action="append",
            default=[],
            metavar="KEY=VALUE",
            help="Platform setting, e.g. phone_number_id=106540352242922 (repeatable)",
        )

    def handle(self, *args, **options):
        settings = {}
        for item in options["setting"]:
            key, sep, value = item.partition("=")
            if not sep or not key:
                raise CommandError(f"--setting takes KEY=VALUE, not {item!r}")
            settings[key] = value
        try:
            channel = channel_create(
                kind=options["kind"],
                name=options["name"],
                secret=options["secret"],
                verify_token=options["verify_token"],
                access_token=options["access_token"],
                settings=settings,
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(
            json.dumps(
                {
                    "id": str(channel.public_id),
                    "pk": channel.pk,
                    "kind": channel.kind,
                    "name": channel.name,
                    "webhook_url": channel.webhook_path,
                    "secret": channel.secret,
                    "verify_token": channel.verify_token,
                }
            )
        )
