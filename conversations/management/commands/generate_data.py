"""Fill PostgreSQL fast (COPY) with N contacts and M messages, with a realistic share of duplicates.

Every contact has one channel identity, one key (phone or e-mail) and one conversation; a share of
people write on a second channel, so they appear twice with the same phone in another format or
the same e-mail in another case. Messages are spread over the conversations (a few contacts get
many). No merge suggestions are made: run the backfill (or the benchmark) for those.
"""

import random
import time
from datetime import UTC, datetime, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from channels.models import Channel, ChannelKind
from channels.services import channel_create

CHUNK = 200_000
PHONE_FORMATS = ["0{a}-{b}-{c}", "+62 {a} {b} {c}", "62{a}{b}{c}", "0{a}{b}{c}"]


def _phone(person: int) -> tuple[str, str]:
    """The E.164 number of a person and its digits split for typing."""
    digits = f"{812_0000_0000 + person:011d}"  # 812xxxxxxxx: valid Indonesian mobiles
    return "+62" + digits, digits


class Command(BaseCommand):
    help = "Generate N contacts and M messages in PostgreSQL with COPY (for benchmarks)."

    def add_arguments(self, parser):
        parser.add_argument("--contacts", type=int, default=1_000_000)
        parser.add_argument("--messages", type=int, default=10_000_000)
        parser.add_argument("--duplicates", type=float, default=0.1, help="Share of contacts that duplicate a person")
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args, contacts, messages, duplicates, seed, **options):
        if connection.vendor != "postgresql":
            raise CommandError("generate_data uses PostgreSQL COPY; set DATABASE_URL to a PostgreSQL database.")
        rng = random.Random(seed)
        started = time.monotonic()
        channels = self._channels()
        with connection.cursor() as cursor:
            cursor.execute("SELECT COALESCE(MAX(id), 0) FROM contacts_contact")
            offset = cursor.fetchone()[0]
        for table, rows in (
            ("contacts_contact", self._contacts(offset, contacts)),
            ("contacts_contactkey", self._keys(offset, contacts, duplicates, rng)),
            ("channels_channelidentity", self._identities(offset, contacts, channels)),
            ("conversations_conversation", self._conversations(offset, contacts, channels, rng)),
            ("conversations_message", self._messages(offset, contacts, messages, channels, rng)),
        ):
            self._copy(table, rows)
            self.stdout.write(f"{table}: done at {time.monotonic() - started:.0f}s")
        self._finish(offset, contacts)
        self.stdout.write(
            f"Generated {contacts:,} contacts and {messages:,} messages in {time.monotonic() - started:.0f}s."
        )

    def _channels(self) -> list[Channel]:
        kinds = [ChannelKind.WHATSAPP, ChannelKind.EMAIL, ChannelKind.TELEGRAM, ChannelKind.WEBCHAT]
        found = {c.kind: c for c in Channel.objects.filter(kind__in=kinds).order_by("-pk")}
        return [found.get(kind) or channel_create(kind=kind, name=f"Bench {kind}") for kind in kinds]

    def _copy(self, table: str, rows) -> None:
        columns, lines = next(rows), rows
        with connection.cursor() as cursor:
            with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                batch = []
                for line in lines:
                    batch.append(line)
                    if len(batch) >= CHUNK:
                        copy.write("".join(batch))
                        batch = []
                if batch:
                    copy.write("".join(batch))

    @staticmethod
    def _at(i: int) -> str:
        return (datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=i * 7)).isoformat()

    def _contacts(self, offset, count):
        yield [
            "id",
            "name",
            "primary_email_id",
            "primary_phone_id",
            "properties",
            "main_identity_id",
            "merged_into_id",
            "root_id",
            "absorbed_count",
            "created_at",
            "updated_at",
        ]
        for n in range(count):
            pk = offset + n + 1
            at = self._at(n)  # keys and identity are linked in _finish, once they exist
            yield f"{pk}\tCustomer {n}\t\\N\t\\N\t{{}}\t\\N\t\\N\t\\N\t0\t{at}\t{at}\n"

    def _person(self, n, duplicates, rng) -> int:
        """Contact n is person n, or (for the duplicate share) an earlier person again."""
        if n > 10 and rng.random() < duplicates:
            return rng.randrange(0, n - 1) // 2 * 2 + (n % 2)  # same kind of key as contact n
        return n

    def _keys(self, offset, count, duplicates, rng):
        yield [
            "id",
            "contact_id",
            "profile_id",
            "kind",
            "raw",
            "value",
            "match_value",
            "is_valid",
            "source",
            "verified",
            "created_at",
        ]
        for n in range(count):
            pk, person = offset + n + 1, self._person(n, duplicates, rng)
            at = self._at(n)
            if n % 2:  # e-mail, sometimes in another case
                value = f"user{person}@example.com"
                raw = value.upper() if rng.random() < 0.3 else value
                yield f"{pk}\t{pk}\t{pk}\temail\t{raw}\t{value}\t{value}\tt\tchannel\tt\t{at}\n"
            else:  # phone, typed in one of several formats
                e164, digits = _phone(person)
                raw = rng.choice(PHONE_FORMATS).format(a=digits[:3], b=digits[3:7], c=digits[7:])
                yield f"{pk}\t{pk}\t{pk}\tphone\t{raw}\t{e164}\t{e164}\tt\tchannel\tt\t{at}\n"

    def _identities(self, offset, count, channels):
        yield [
            "id",
            "channel_id",
            "external_id",
            "contact_id",
            "profile_id",
            "display_name",
            "username",
            "last_inbound_at",
            "created_at",
        ]
        for n in range(count):
            pk = offset + n + 1
            channel = channels[n % 4]
            yield f"{pk}\t{channel.pk}\tbench-{pk}\t{pk}\t{pk}\tCustomer {n}\t\t{self._at(n)}\t{self._at(n)}\n"

    def _conversations(self, offset, count, channels, rng):
        yield [
            "id",
            "contact_id",
            "profile_id",
            "channel_id",
            "status",
            "opened_by",
            "opened_at",
            "closed_at",
            "last_message_at",
            "unread_count",
            "fields",
        ]
        for n in range(count):
            pk, at = offset + n + 1, self._at(n)
            status, closed = ("open", r"\N") if rng.random() < 0.1 else ("closed", at)
            yield f"{pk}\t{pk}\t{pk}\t{channels[n % 4].pk}\t{status}\tcontact\t{at}\t{closed}\t{at}\t0\t{{}}\n"

    def _messages(self, offset, contacts, count, channels, rng):
        yield [
            "conversation_id",
            "identity_id",
            "channel_id",
            "direction",
            "body",
            "attachments",
            "platform_message_id",
            "status",
            "error",
            "created_at",
        ]
        for i in range(count):
            n = rng.randrange(contacts)
            pk = offset + n + 1
            direction, status = ("in", "received") if i % 2 else ("out", "delivered")
            yield (
                f"{pk}\t{pk}\t{channels[n % 4].pk}\t{direction}\tMessage {i} about order {i % 9973}\t[]\t"
                f"gen-{offset}-{i}\t{status}\t\t{self._at(n * 10 + i % 1000)}\n"
            )

    def _finish(self, offset, count) -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                """UPDATE contacts_contact c SET main_identity_id = c.id,
                       primary_email_id = CASE WHEN k.kind = 'email' THEN k.id END,
                       primary_phone_id = CASE WHEN k.kind = 'phone' THEN k.id END
                   FROM contacts_contactkey k WHERE k.id = c.id AND c.id > %s AND c.id <= %s""",
                [offset, offset + count],
            )
            for table in (
                "contacts_contact",
                "contacts_contactkey",
                "channels_channelidentity",
                "conversations_conversation",
                "conversations_message",
            ):
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")
            cursor.execute("ANALYZE")
