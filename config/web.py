"""Web helpers shared by every app's views: htmx regions and dialogs, and safe redirects.

This module imports no app, so any layer's views may use it.
"""

import ipaddress

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme


def render_page_or_region(request: HttpRequest, template: str, region: str, context: dict) -> HttpResponse:
    """The partial `template#region` when htmx targets that region's element, else the whole page."""
    if request.htmx and request.htmx.target == region:
        return render(request, f"{template}#{region}", context)
    return render(request, template, context)


def render_dialog(request: HttpRequest, template: str, context: dict) -> HttpResponse:
    """A dialog's fragment for htmx; without JavaScript, the same dialog as a full page."""
    if request.htmx:
        return render(request, template, context)
    return render(request, "_dialog_page.html", {**context, "dialog_template": template})


def safe_next(request: HttpRequest, fallback: str) -> str:
    """The `next` URL the form posted, when it stays on this site; else `fallback`."""
    url = request.POST.get("next", "") or request.GET.get("next", "")
    # A path ("/...") or a full URL of this site (htmx's HX-Current-URL): anything else, such as
    # "garbage", would be taken for a URL name by redirect().
    is_url = url.startswith("/") or url.startswith(("http://", "https://"))
    if is_url and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}):
        return url
    return fallback


def redirect_next(request: HttpRequest, fallback: str) -> HttpResponse:
    return redirect(safe_next(request, fallback))


def _trusted_proxy(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(network, strict=False) for network in settings.TRUSTED_PROXIES)


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: REMOTE_ADDR, unless that is a proxy listed in TRUSTED_PROXIES, in which
    case the right-most address of X-Forwarded-For that is not itself a trusted proxy. Addresses a
    client wrote to the left of it are never believed."""
    remote = request.META.get("REMOTE_ADDR") or None
    if not remote or not _trusted_proxy(remote):
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    for address in reversed(forwarded):
        if not _trusted_proxy(address):
            try:
                return str(ipaddress.ip_address(address))
            except ValueError:
                return None
    return remote


class RejectNulMiddleware:
    """400 for a query string holding a NUL byte: no page takes one, and PostgreSQL refuses it in
    any text it is compared with. (Form fields refuse NUL through Django's own validator.)"""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if any("\x00" in key or "\x00" in value for key, values in request.GET.lists() for value in values):
            return HttpResponseBadRequest("NUL in the query string.")
        return self.get_response(request)


class PrivatePagesMiddleware:
    """Pages with customer data are never stored by a shared cache or the browser's disk cache.

    Every answer to a logged-in user, or to a web chat visitor (who sends a bearer token), gets
    `Cache-Control: private, no-store` unless the view chose its own caching. Every HTML answer
    varies on `HX-Request`: one URL answers a whole page or, for htmx, a fragment of it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        private = (user is not None and user.is_authenticated) or "Authorization" in request.headers
        if private and not response.has_header("Cache-Control"):
            patch_cache_control(response, private=True, no_store=True)
        if response.get("Content-Type", "").startswith("text/html"):
            patch_vary_headers(response, ["HX-Request"])
        return response
