"""Rendering for htmx: a full page, or just the region (template partial) htmx asked for."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


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
