"""HTTP for the platform clients: JSON POSTs to the platforms' APIs at configurable base URLs
(settings), so staging and the tests can point them at a local server."""

import json
import secrets
import urllib.error
import urllib.request
from dataclasses import dataclass

from django.conf import settings


class SendFailed(Exception):
    """The platform refused the message or could not be reached; shown on the message."""


def post_json(url: str, payload: dict, headers: dict | None = None) -> dict:
    request = urllib.request.Request(
        url,
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json", **(headers or {})},
        method="POST",
    )
    return _answer_json(request, settings.OUTBOUND_TIMEOUT_SECONDS, SendFailed)


def get_json(url: str, headers: dict | None = None) -> dict:
    request = urllib.request.Request(url, headers=headers or {}, method="GET")
    return _answer_json(request, settings.OUTBOUND_TIMEOUT_SECONDS, SendFailed)


def _answer_json(request: urllib.request.Request, timeout: int, failure: type[Exception]) -> dict:
    """The platform's JSON answer; any failure is raised as `failure` with the platform's reason."""
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        raise failure(f"HTTP {exc.code}: {_error_text(exc)}") from exc
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise failure(f"could not reach the platform: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise failure("the platform answered with something that is not JSON") from exc


def _error_text(exc: urllib.error.HTTPError) -> str:
    body = exc.read()[:2000]
    try:
        data = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return body.decode("utf-8", "replace") or exc.reason
    error = data.get("error") if isinstance(data, dict) else None
    if isinstance(error, dict):
        return str(error.get("message") or error)
    return str(data.get("description") or data) if isinstance(data, dict) else str(data)


class MediaUnavailable(Exception):
    """The platform would not hand over a media file (expired, refused, unreachable)."""


class MediaTooLarge(MediaUnavailable):
    """The file is larger than this channel accepts."""


def fetch_bytes(url: str, *, max_bytes: int, headers: dict | None = None) -> bytes:
    """GET a file, refusing it as soon as it is known to exceed `max_bytes` (never read whole)."""
    if not url.startswith(("https://", "http://")):
        raise MediaUnavailable(f"not an HTTP URL: {url[:100]}")
    request = urllib.request.Request(url, headers=headers or {}, method="GET")
    try:
        with urllib.request.urlopen(request, timeout=settings.MEDIA_TIMEOUT_SECONDS) as response:
            declared = int(response.headers.get("Content-Length") or 0)
            if declared > max_bytes:
                raise MediaTooLarge(f"{declared} bytes, the limit is {max_bytes}")
            content = response.read(max_bytes + 1)
    except urllib.error.HTTPError as exc:
        raise MediaUnavailable(f"HTTP {exc.code}: {_error_text(exc)}") from exc
    except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
        raise MediaUnavailable(f"could not reach the platform: {exc}") from exc
    if len(content) > max_bytes:
        raise MediaTooLarge(f"more than {max_bytes} bytes")
    return content


def get_media_json(url: str, *, headers: dict | None = None) -> dict:
    """A platform's JSON description of a media file; failures raise MediaUnavailable."""
    request = urllib.request.Request(url, headers=headers or {}, method="GET")
    return _answer_json(request, settings.OUTBOUND_TIMEOUT_SECONDS, MediaUnavailable)


@dataclass(frozen=True)
class FilePart:
    field: str
    filename: str
    content_type: str
    content: bytes


def post_multipart(url: str, fields: dict[str, str], file: FilePart, headers: dict | None = None) -> dict:
    """POST multipart/form-data (the platforms' media upload endpoints); answers JSON."""
    boundary = f"mergeinbox-{secrets.token_hex(16)}"
    body = bytearray()
    for name, value in fields.items():
        body += f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
    safe_name = file.filename.replace('"', "").replace("\r", "").replace("\n", "") or "file"
    body += (
        f'--{boundary}\r\nContent-Disposition: form-data; name="{file.field}"; filename="{safe_name}"\r\n'
        f"Content-Type: {file.content_type}\r\n\r\n"
    ).encode()
    body += file.content + f"\r\n--{boundary}--\r\n".encode()
    request = urllib.request.Request(
        url,
        data=bytes(body),
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}", **(headers or {})},
        method="POST",
    )
    return _answer_json(request, settings.MEDIA_TIMEOUT_SECONDS, SendFailed)
