"""A believable workspace for the quick demo: channels, ~200 contacts with duplicates, users."""

import io
import random
from datetime import timedelta

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from guardian.shortcuts import assign_perm
from PIL import Image, ImageDraw

from channels.inbound import InboundMessage, media_item
from channels.models import Channel, ChannelKind
from channels.services import channel_create
from config.workspace import permissions
from config.workspace.models import Role, User, Workspace
from config.workspace.services import team_create
from contacts.models import Contact, KeyKind, KeySource
from contacts.normalize import normalize_phone
from contacts.services import comment_add, contact_key_add
from conversations.inbound.pipeline import inbound_message_ingest
from conversations.models import Conversation
from conversations.services import conversation_assign, conversation_close
from merging.detection import suggestions_refresh

USERS = [
    ("owner", Role.OWNER, "Olivia Owner"),
    ("manager", Role.MANAGER, "Marco Manager"),
    ("agent", Role.AGENT, "Ayu Agent"),
    ("agent2", Role.AGENT, "Budi Agent"),
]
PASSWORD = "demo-pass-2026"

PEOPLE = {
    "ID": (
        ["Ayu", "Budi", "Siti", "Dewi", "Rizky", "Putri", "Agus", "Rina", "Fajar", "Intan", "Yusuf", "Wulan"],
        ["Santoso", "Wijaya", "Pratama", "Lestari", "Hidayat", "Kusuma", "Saputra", "Nugroho"],
        ["0812-{a}-{b}", "+62 813 {a} {b}", "0857{a}{b}", "62811{a}{b}"],
        [
            "Halo kak, barangnya masih ada?",
            "Bisa kirim ke Bandung?",
            "Saya sudah transfer, mohon dicek",
            "Apakah ada warna lain?",
            "Kapan pesanan saya sampai?",
        ],
    ),
    "IT": (
        ["Giulia", "Marco", "Francesca", "Luca", "Chiara", "Matteo", "Sara", "Andrea"],
        ["Rossi", "Bianchi", "Romano", "Colombo", "Ricci", "Marino"],
        ["+39 347 {a3} {b}", "347 {a3}{b}", "0039 333 {a3} {b}"],
        ["Buongiorno, è disponibile in blu?", "Quanto costa la spedizione?", "Vorrei fare un reso, grazie"],
    ),
    "FR": (
        ["Camille", "Louis", "Léa", "Hugo", "Chloé", "Jules", "Manon", "Émile"],
        ["Martin", "Bernard", "Dubois", "Lefèvre", "Moreau", "Girard"],
        ["06 {p1} {p2} {p3} {p4}", "+33 6 {p1} {p2} {p3} {p4}", "07.{p1}.{p2}.{p3}.{p4}"],
        ["Bonjour, livrez-vous en France ?", "Ma commande n'est pas arrivée", "Merci pour votre aide !"],
    ),
    "US": (
        ["Sheena", "Jordan", "Emily", "Michael", "Ashley", "Tyler"],
        ["Nelson", "Miller", "Johnson", "Brown", "Davis"],
        ["(650) 555-{b}", "650-555-{b}", "+1 415 555 {b}"],
        ["Hi, does it come in another color?", "Where is my order?", "Can I change my shipping address?"],
    ),
}
# Demo-only access tokens: `make demo` points the platform APIs at a local sink (`demo_sink`),
# which accepts them, so replies on every channel are sent.
CHANNELS = [
    (ChannelKind.WHATSAPP, "WhatsApp Toko", {"phone_number_id": "106540352242922"}, "demo-whatsapp-token"),
    (ChannelKind.TELEGRAM, "Telegram Bot", {}, "123456:demo-telegram-token"),
    (ChannelKind.MESSENGER, "Facebook Page", {}, "demo-page-token"),
    (ChannelKind.INSTAGRAM, "Instagram", {}, "demo-instagram-token"),
    (ChannelKind.EMAIL, "Support mailbox", {"address": "support@toko.example"}, ""),
    (
        ChannelKind.WEBCHAT,
        "Website chat",
        {
            "title": "Chat with Toko Sheena",
            "prechat": {"enabled": True, "fields": ["name", "email", "phone"], "required": ["email"]},
        },
        "",
    ),
]


class Command(BaseCommand):
    help = "Fill the database with a demo workspace (idempotent) and print the logins."

    def add_arguments(self, parser):
        parser.add_argument("--people", type=int, default=150, help="How many people (before duplicates)")
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument("--url", default="http://127.0.0.1:8000/", help="Where the app will be served")

    def handle(self, *args, people, seed, url, **options):
        if Contact.objects.exists():
            self.stdout.write("Demo data already present.")
            _give_demo_tokens()
        else:
            with transaction.atomic():
                self._build(random.Random(seed), people)
        self._print_logins(url)

    def _build(self, rng: random.Random, people: int) -> None:
        Workspace.objects.update_or_create(id=1, defaults={"name": "Toko Sheena", "default_phone_region": "ID"})
        users = self._users()
        channels = {
            kind: channel_create(kind=kind, name=name, settings=cfg, access_token=token)
            for kind, name, cfg, token in CHANNELS
        }
        team = team_create(name="Support", members=[users["agent"], users["agent2"]])
        for kind in (ChannelKind.WHATSAPP, ChannelKind.TELEGRAM, ChannelKind.EMAIL, ChannelKind.WEBCHAT):
            assign_perm("channels.access_channel", team.group, channels[kind])
        assign_perm("channels.access_channel", users["agent"], channels[ChannelKind.INSTAGRAM])
        now = timezone.now()
        for index in range(people):
            country = rng.choices(list(PEOPLE), weights=[6, 2, 2, 1])[0]
            self._person(rng, index, country, channels, now - timedelta(minutes=rng.randint(5, 60 * 24 * 20)))
        for n, conversation in enumerate(Conversation.objects.filter(status="open").order_by("id")):
            if n % 3 == 0:
                conversation_close(actor=users["manager"], conversation=conversation)
            elif n % 3 == 1:
                agents = list(permissions.assignable_users(conversation).filter(role=Role.AGENT))
                if agents:  # only agents who work the conversation's channel
                    conversation_assign(
                        actor=users["manager"], conversation=conversation, assignee=agents[n % len(agents)], team=team
                    )

    def _users(self) -> dict[str, User]:
        users = {}
        for username, role, full_name in USERS:
            first, last = full_name.split(" ", 1)
            user = User.objects.create_user(
                username=username,
                password=PASSWORD,
                role=role,
                first_name=first,
                last_name=last,
                email=f"{username}@toko.example",
            )
            users[username] = user
        admin = User.objects.create_superuser("admin", "admin@toko.example", PASSWORD, role=Role.OWNER)
        users["admin"] = admin
        return users

    def _person(self, rng, index, country, channels, start) -> None:
        first_names, last_names, phone_formats, lines = PEOPLE[country]
        name = f"{rng.choice(first_names)} {rng.choice(last_names)}"
        digits = f"{rng.randint(1000, 9999)}{rng.randint(1000, 9999)}"
        phone = _phone(rng.choice(phone_formats), digits)
        email = f"{name.split()[0].lower()}.{index}@example.com".replace("é", "e").replace("è", "e")
        # One to three channels per person; each first message makes a contact (the duplicates).
        kinds = rng.sample(
            [
                ChannelKind.WHATSAPP,
                ChannelKind.TELEGRAM,
                ChannelKind.MESSENGER,
                ChannelKind.INSTAGRAM,
                ChannelKind.EMAIL,
                ChannelKind.WEBCHAT,
            ],
            k=rng.choices([1, 2, 3], weights=[5, 3, 1])[0],
        )
        for step, kind in enumerate(kinds):
            at = start + timedelta(minutes=step * rng.randint(30, 600))
            message = self._first_message(rng, kind, index, name, phone, email, at, country, channels, lines)
            for reply in range(rng.randint(0, 3)):
                self._message(
                    channels[kind], message.identity.external_id, rng.choice(lines), at + timedelta(minutes=reply + 1)
                )
            if rng.random() < 0.15:
                self._receipt_photo(channels[kind], message.identity.external_id, at + timedelta(minutes=5), index)
            if rng.random() < 0.1:
                comment_add(
                    actor=None, contact=message.identity.contact, body="Pelanggan VIP — verify identity next time"
                )

    def _first_message(self, rng, kind, index, name, phone, email, at, country, channels, lines):
        """A customer's first message, shaped by what the platform says its senders are (the registry)."""
        channel = channels[kind]
        platform = channel.platform
        text = rng.choice(lines)
        e164_digits = _digits_for_id(phone, country)
        if platform.external_id_is == KeyKind.PHONE and e164_digits:
            return self._message(channel, e164_digits, text, at, name=name, phone=e164_digits)
        if platform.external_id_is == KeyKind.EMAIL:
            casing = email.upper() if rng.random() < 0.3 else email
            return self._message(channel, casing.lower(), text, at, name=name, email=casing)
        if platform.public_senders:  # a visitor who filled in the pre-chat form
            message = self._message(
                channel, f"visitor-{index}", text, at, name=name, email=email if rng.random() < 0.7 else ""
            )
            self._add_phone(message, phone, KeySource.PRECHAT, country)
            return message
        external = f"{kind[:2]}{index:05d}{rng.randint(100, 999)}"
        message = self._message(channel, external, text, at, name=name)
        if rng.random() < 0.3:  # a phone the shop imported from its order list
            self._add_phone(message, phone, KeySource.IMPORT, country)
        return message

    def _add_phone(self, message, phone: str, source: str, country: str) -> None:
        contact_key_add(contact=message.identity.contact, kind=KeyKind.PHONE, raw=phone, source=source, region=country)
        suggestions_refresh(contact_id=message.identity.contact_id)

    def _message(self, channel: Channel, external_id: str, text: str, at, name: str = "", **identity):
        inbound = InboundMessage(
            external_id=external_id,
            platform_message_id=f"demo-{channel.pk}-{external_id}-{at.timestamp()}",
            sent_at=at,
            body=text,
            display_name=name,
            **identity,
        )
        return inbound_message_ingest(channel=channel, inbound=inbound)

    def _receipt_photo(self, channel: Channel, external_id: str, at, index: int):
        """A customer's photo of a payment receipt (drawn here; the demo downloads nothing)."""
        inbound = InboundMessage(
            external_id=external_id,
            platform_message_id=f"demo-photo-{channel.pk}-{external_id}-{at.timestamp()}",
            sent_at=at,
            body="Bukti transfer",
            attachments=[media_item("image", platform_type="image", ref="photo", name=f"receipt-{index}.png")],
            media_bytes={"photo": _receipt_png(index)},
        )
        return inbound_message_ingest(channel=channel, inbound=inbound)

    def _print_logins(self, url: str) -> None:
        self.stdout.write(f"\nLog in at {url} with one of these (password for all: {PASSWORD}):")
        for username, role, full_name in USERS:
            self.stdout.write(f"  {username:<8} {role.label:<8} {full_name}")
        self.stdout.write(f"  {'admin':<8} {'Admin':<8} Django admin at /admin/")
        self.stdout.write(
            "\nMake a customer write in (any of: whatsapp telegram messenger instagram email webchat):\n"
            "  make manage ARGS=\"simulate_inbound whatsapp --from 6281234567890 --text 'Halo, masih ada?'\""
        )


def _give_demo_tokens() -> None:
    """Demo databases made before the sink existed get the demo tokens their replies need."""
    for kind, name, _settings, token in CHANNELS:
        if token:
            Channel.objects.filter(kind=kind, name=name, access_token="").update(access_token=token)


def _receipt_png(index: int) -> bytes:
    image = Image.new("RGB", (360, 480), (250, 250, 245))
    draw = ImageDraw.Draw(image)
    draw.rectangle((20, 20, 340, 460), outline=(60, 60, 60), width=2)
    for row, line in enumerate(["BANK TRANSFER", f"Ref. {index:06d}", "Toko Sheena", "Rp 250.000", "PAID"]):
        draw.text((40, 50 + row * 60), line, fill=(30, 30, 30), font_size=26)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def _phone(pattern: str, digits: str) -> str:
    return pattern.format(
        a=digits[:4], b=digits[4:], a3=digits[:3], p1=digits[:2], p2=digits[2:4], p3=digits[4:6], p4=digits[6:8]
    )


def _digits_for_id(phone: str, country: str) -> str:
    """The WhatsApp id (international digits) for a typed phone, as WhatsApp would send it."""
    normalized = normalize_phone(phone, country)
    return normalized.value.lstrip("+") if normalized.is_valid else ""
