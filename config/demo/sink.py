"""Local stand-ins for the platforms' APIs, so replies in the demo (and the tests) are sent.

`PlatformSink` is a real HTTP server on loopback that answers like the WhatsApp Cloud API, the
Telegram Bot API and Meta's Send and Graph APIs — sends (JSON), media uploads (multipart, kept
with their files), media downloads (WhatsApp media id -> URL -> bytes, Telegram getFile ->
/file/bot<token>/<path>, Meta attachment URLs) and Graph profile look-ups — and records every
call. `SmtpSink` accepts every e-mail. `make demo` runs both (`manage.py demo_sink`) and points
WHATSAPP_API_BASE, TELEGRAM_API_BASE, META_GRAPH_API_BASE, EMAIL_HOST and EMAIL_PORT at them;
production never does. The tests use the same server (`tests/platform_server.py`).
"""

import json
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from email import policy
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

from aiosmtpd.controller import Controller


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict
    body: dict
    files: dict = field(default_factory=dict)  # field name -> (filename, content type, bytes)


@dataclass
class PlatformSink:
    requests: list[Recorded] = field(default_factory=list)
    fail_with: tuple[int, dict] | None = None
    url: str = ""
    on_request: Callable[[Recorded], None] | None = None
    # Graph API user profiles (Messenger PSID / Instagram IGSID -> fields), answered to GET /<id>.
    profiles: dict[str, dict] = field(default_factory=dict)

    def profile(self, path: str) -> tuple[int, dict]:
        user_id = path.split("?", 1)[0].rsplit("/", 1)[-1]
        if user_id in self.profiles:
            return 200, {"id": user_id, **self.profiles[user_id]}
        return 400, {"error": {"message": f"Unsupported get request. Object with ID '{user_id}' does not exist"}}

    media: dict[str, bytes] = field(default_factory=dict)  # media id / file id / CDN name -> bytes
    failing_downloads: int = 0  # answer this many downloads with HTTP 500 first
    downloads: list[str] = field(default_factory=list)

    def serve_media(self, key: str, content: bytes) -> str:
        """Make a file downloadable; returns the Meta-style CDN URL for it."""
        self.media[key] = content
        return f"{self.url}/cdn/{key}"

    def answer(self, path: str, body: dict) -> tuple[int, dict]:
        if self.fail_with:
            return self.fail_with
        if path.endswith("/media") and body.get("messaging_product") == "whatsapp":
            return 200, {"id": f"wa-upload-{len(self.requests)}"}
        if path.endswith("/messages") and body.get("messaging_product") == "whatsapp":
            to = body.get("to") or body["recipient"]
            return 200, {
                "messaging_product": "whatsapp",
                "contacts": [{"input": to, "wa_id": to}],
                "messages": [{"id": f"wamid.sent{len(self.requests)}"}],
            }
        method = path.split("?")[0].rsplit("/", 1)[-1]
        if method in ("sendMessage", "sendPhoto", "sendDocument", "sendAudio", "sendVoice", "sendVideo"):
            return 200, {
                "ok": True,
                "result": {"message_id": 500 + len(self.requests), "chat": {"id": body.get("chat_id")}},
            }
        if path.startswith("/me/message_attachments"):
            return 200, {"attachment_id": f"fb-attachment-{len(self.requests)}"}
        if path.startswith("/me/messages"):
            return 200, {"recipient_id": body["recipient"]["id"], "message_id": f"m_sent{len(self.requests)}"}
        return 404, {"error": {"message": "unknown endpoint"}}

    def download(self, path: str, headers) -> tuple[int, str, bytes]:
        """GET: WhatsApp media metadata and files, Telegram getFile and files, CDN files."""
        parts = urlsplit(path)
        self.downloads.append(path)
        if self.failing_downloads > 0:
            self.failing_downloads -= 1
            return 500, "application/json", b'{"error": {"message": "temporarily unavailable"}}'
        segments = parts.path.strip("/").split("/")
        if parts.path.endswith("/getFile"):
            file_id = parse_qs(parts.query).get("file_id", [""])[0]
            if file_id not in self.media:
                return 400, "application/json", b'{"ok": false, "description": "Bad Request: invalid file_id"}'
            result = {"file_id": file_id, "file_unique_id": "u" + file_id, "file_size": len(self.media[file_id])}
            result["file_path"] = f"documents/{file_id}.bin"
            return 200, "application/json", json.dumps({"ok": True, "result": result}).encode()
        if segments[0] == "file" and len(segments) >= 4:  # /file/bot<token>/<path>
            key = unquote(segments[-1]).removesuffix(".bin")
            return self._file(key)
        if segments[0] == "cdn":
            return self._file(unquote(segments[-1]))
        if segments[0] == "wa-media":
            if headers.get("Authorization", "").startswith("Bearer "):
                return self._file(segments[-1])
            return 401, "application/json", b'{"error": {"message": "no token"}}'
        if segments[0] == "v21.0" and len(segments) == 2 and segments[1] in self.media:
            media_id = segments[1]
            described = {
                "messaging_product": "whatsapp",
                "url": f"{self.url}/wa-media/{media_id}",
                "mime_type": "application/octet-stream",
                "file_size": len(self.media[media_id]),
                "id": media_id,
            }
            return 200, "application/json", json.dumps(described).encode()
        status, answer = self.profile(path)  # GET /<user id>?fields=...: a Graph API profile
        return status, "application/json", json.dumps(answer).encode()

    def _file(self, key: str) -> tuple[int, str, bytes]:
        if key not in self.media:
            return 404, "application/json", b'{"error": {"message": "unknown media"}}'
        return 200, "application/octet-stream", self.media[key]


def _parse_body(headers, raw: bytes) -> tuple[dict, dict]:
    content_type = headers.get("Content-Type", "")
    if not content_type.startswith("multipart/form-data"):
        return json.loads(raw or b"{}"), {}
    message = BytesParser(policy=policy.HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + raw)
    fields, files = {}, {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if part.get_filename():
            files[name] = (part.get_filename(), part.get_content_type(), part.get_payload(decode=True))
        else:
            fields[name] = part.get_payload(decode=True).decode()
    return fields, files


def start_platform_sink(port: int = 0, host: str = "127.0.0.1") -> tuple[PlatformSink, ThreadingHTTPServer]:
    """Serve a PlatformSink in a daemon thread; port 0 picks a free one (see `sink.url`)."""
    state = PlatformSink()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length", 0))
            body, files = _parse_body(self.headers, self.rfile.read(length))
            recorded = Recorded("POST", self.path, dict(self.headers), body, files)
            state.requests.append(recorded)
            if state.on_request:
                state.on_request(recorded)
            status, answer = state.answer(self.path, body)
            self._reply(status, "application/json", json.dumps(answer).encode())

        def do_GET(self):
            state.requests.append(Recorded("GET", self.path, dict(self.headers), {}))
            status, content_type, payload = state.download(self.path, self.headers)
            self._reply(status, content_type, payload)

        def _reply(self, status: int, content_type: str, payload: bytes):
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer((host, port), Handler)
    state.url = f"http://{host}:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return state, server


@dataclass
class SmtpSink:
    """An aiosmtpd handler that keeps every message: (recipients, raw bytes)."""

    messages: list[tuple[list[str], bytes]] = field(default_factory=list)
    on_message: Callable[[list[str], bytes], None] | None = None

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((list(envelope.rcpt_tos), envelope.content))
        if self.on_message:
            self.on_message(list(envelope.rcpt_tos), envelope.content)
        return "250 OK"


def start_smtp_sink(port: int = 0, host: str = "127.0.0.1") -> tuple[SmtpSink, Controller]:
    """Serve an SmtpSink in aiosmtpd's thread; port 0 picks a free one (see `controller.port`)."""
    sink = SmtpSink()
    controller = Controller(sink, hostname=host, port=port or _free_port(host))
    controller.start()
    return sink, controller


def _free_port(host: str) -> int:
    # aiosmtpd needs a concrete port: ask the OS for a free one.
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]
