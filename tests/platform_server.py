"""A real HTTP server on loopback that answers like the platforms' send APIs, and records calls."""

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict
    body: dict


@dataclass
class PlatformServer:
    requests: list[Recorded] = field(default_factory=list)
    fail_with: tuple[int, dict] | None = None
    url: str = ""

    def answer(self, path: str, body: dict) -> tuple[int, dict]:
        if self.fail_with:
            return self.fail_with
        if path.endswith("/messages") and body.get("messaging_product") == "whatsapp":
            return 200, {
                "messaging_product": "whatsapp",
                "contacts": [{"input": body["to"], "wa_id": body["to"]}],
                "messages": [{"id": f"wamid.sent{len(self.requests)}"}],
            }
        if "/sendMessage" in path:
            return 200, {
                "ok": True,
                "result": {"message_id": 500 + len(self.requests), "chat": {"id": body["chat_id"]}},
            }
        if path.startswith("/me/messages"):
            return 200, {"recipient_id": body["recipient"]["id"], "message_id": f"m_sent{len(self.requests)}"}
        return 404, {"error": {"message": "unknown endpoint"}}


def start_platform_server() -> tuple[PlatformServer, ThreadingHTTPServer]:
    state = PlatformServer()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length", 0))
            body = json.loads(self.rfile.read(length) or b"{}")
            state.requests.append(Recorded("POST", self.path, dict(self.headers), body))
            status, answer = state.answer(self.path, body)
            payload = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return state, server
