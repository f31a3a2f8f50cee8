"""Fuzzing every webhook format: generated payloads (hypothesis) and a corpus of nasty inputs.

Whatever arrives, the answer is never a 500, and processing ends every delivery done or failed
(with its reason), never half stored: an item that fails stores nothing of itself. The number
of generated cases per format is FUZZ_EXAMPLES (CI: a short run; `make fuzz`: a long one).
"""

import copy
import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from channels.models import ChannelKind, InboundDelivery
from contacts.models import Contact, ContactKey
from conversations.models import Conversation, Message
from tests.factories import deliver, email_raw, make_channel, tg_text, wa_text, webchat_message

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "40"))
PAYLOADS = Path(__file__).resolve().parents[1] / "payloads"

SAMPLES = {
    ChannelKind.WHATSAPP: lambda: wa_text("6281234567890", "hello", name="Sheena"),
    ChannelKind.MESSENGER: lambda: json.loads((PAYLOADS / "messenger_text.json").read_text()),
    ChannelKind.INSTAGRAM: lambda: json.loads((PAYLOADS / "instagram_text.json").read_text()),
    ChannelKind.TELEGRAM: lambda: tg_text(5123456789, "hello"),
    ChannelKind.WEBCHAT: lambda: webchat_message("s1", "hello", email="a@example.com", phone="0812-3456-7890"),
}

junk = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True)
    | st.text(max_size=300)
    | st.sampled_from(["", "\x00", "+", "0" * 40, "😀" * 50, "a@b", "1749416383"]),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=10,
)


def _paths(value, path=()):
    yield path
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _paths(child, (*path, index))


@st.composite
def mutated(draw, sample):
    payload = copy.deepcopy(sample)
    paths = [p for p in _paths(payload) if p]
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        path = draw(st.sampled_from(paths))
        parent = payload
        try:
            for key in path[:-1]:
                parent = parent[key]
            if draw(st.booleans()) and isinstance(parent, dict):
                parent.pop(path[-1], None)
            else:
                parent[path[-1]] = draw(junk)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed this branch
    return payload


def counts():
    return (Contact.objects.count(), ContactKey.objects.count(), Conversation.objects.count(), Message.objects.count())


def assert_handled(client, channel, body):
    before = counts()
    response = deliver(client, channel, body)  # a 500, or an error escaping the worker, raises here
    assert response.status_code in (200, 413), response.status_code
    if response.status_code == 413:
        assert counts() == before
        return response
    delivery = InboundDelivery.objects.order_by("pk").last()
    assert delivery.status in ("done", "failed")
    if delivery.status == "failed":
        assert delivery.error
    return response


@pytest.mark.parametrize("kind", list(SAMPLES))
def test_generated_payloads_never_500_and_never_half_store(client, kind):
    channel = make_channel(kind)
    sample = SAMPLES[kind]()

    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(payload=mutated(sample))
    def run(payload):
        assert_handled(client, channel, json.dumps(payload, allow_nan=True).encode())

    run()


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(
    name=st.text(max_size=80),
    address=st.text(max_size=60),
    subject=st.text(max_size=80),
    body=st.text(max_size=500),
)
def test_generated_emails_never_500_and_never_half_store(client, email_channel, name, address, subject, body):
    raw = f"From: {name} <{address}>\r\nSubject: {subject}\r\nMessage-ID: <{abs(hash(body))}@x>\r\n\r\n{body}"
    assert_handled(client, email_channel, raw.encode("utf-8", "surrogatepass"))


NASTY = [
    b"",
    b"\x00" * 100,
    b"\xff\xfe\xfd invalid utf-8",
    b"{" * 100_000,
    b'{"deep": ' + b"[" * 70 + b"]" * 70 + b"}",
    json.dumps(wa_text("6281234567890", "x" * 900_000)).encode(),
    json.dumps(wa_text("+++", "bogus sender")).encode(),
    json.dumps(wa_text("0" * 30, "bogus sender")).encode(),
    json.dumps(wa_text("6281234567890", "nul \x00 inside", name="nul \x00 name")).encode(),
    json.dumps(wa_text("6281234567890", "\ud83d\ude00 emoji " * 1000)).encode(),
    json.dumps(
        {
            "object": "whatsapp_business_account",
            "entry": [
                {
                    "changes": [
                        {
                            "field": "messages",
                            "value": {
                                "messages": [
                                    {
                                        "from": "6281234567890",
                                        "id": "x" * 10_000,
                                        "timestamp": "1",
                                        "type": "text",
                                        "text": {"body": "long id"},
                                    }
                                ]
                            },
                        }
                    ]
                }
            ],
        }
    ).encode(),
]


@pytest.mark.parametrize("body", NASTY, ids=range(len(NASTY)))
def test_nasty_whatsapp_bodies_are_handled(client, whatsapp, body):
    assert_handled(client, whatsapp, body)


EMAIL_NASTY = [
    email_raw("victim@example.com\r\nBcc: all@example.com", "header injection"),
    email_raw("a@example.com", "x", name="Evil\r\nX-Injected: 1"),
    b"From: =?utf-8?b?not-base64?= <a@example.com>\r\nMessage-ID: <q@x>\r\n\r\nbody",
    b"From: a@example.com\r\nMessage-ID: <q2@x>\r\nContent-Type: text/plain; charset=no-such-charset\r\n\r\n\xff\xfe",
    b'From: a@example.com\r\nMessage-ID: <q3@x>\r\nContent-Type: multipart/mixed; boundary="B"\r\n\r\n--B\r\n--B--',
    b"From: " + b"a" * 5000 + b"@example.com\r\nMessage-ID: <q4@x>\r\n\r\nlong address",
]


@pytest.mark.parametrize("raw", EMAIL_NASTY, ids=range(len(EMAIL_NASTY)))
def test_nasty_emails_are_handled(client, email_channel, raw):
    response = assert_handled(client, email_channel, raw)
    if response.status_code == 200:
        for contact in Contact.objects.all():
            assert "\n" not in contact.name and "\r" not in contact.name
