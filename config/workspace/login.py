"""Login with limits, shared by `/login/` and `/admin/login/` (both use the forms below).

Failures are counted per username — keyed exactly as Django's login form normalises it (stripped,
NFKC, then case-folded here), so `" agent2"`, `"agent2  "` and full-width `ａｇｅｎｔ２` are one key —
and per client address, read through `TRUSTED_PROXIES` (`config.web.client_ip`). Everything is in
the database, so every app process sees the same counts.

A locked username cannot be used to keep its owner out: a login from an address where that
username has logged in successfully before (within `KNOWN_ADDRESS_DAYS`) is not refused by the
username's lock (the address's own limit still applies).
"""

from datetime import timedelta

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.forms.forms import NON_FIELD_ERRORS
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.admin import OTPAdminAuthenticationForm

from config.web import client_ip
from config.workspace.models import KnownLoginAddress, LoginFailure

WINDOW = timedelta(minutes=15)
MAX_PER_USERNAME = 5
MAX_PER_IP = 20
KNOWN_ADDRESS_DAYS = 90
# Refusals that are not a guessed secret: an inactive account, the two-factor step still to come.
NOT_A_GUESS = {
    "inactive",
    "token_required",
    "device_required",
    "challenge_message",
    "challenge_exception",
    "not_interactive",
}


def login_key(username: str) -> str:
    """The limiter's key for a username the form has already cleaned (stripped, NFKC)."""
    return username.casefold()[:150]


def login_blocked(username: str, ip: str | None) -> bool:
    since = timezone.now() - WINDOW
    recent = LoginFailure.objects.filter(at__gte=since)
    if ip and recent.filter(ip=ip).count() >= MAX_PER_IP:
        return True
    key = login_key(username)
    if recent.filter(username=key).count() < MAX_PER_USERNAME:
        return False
    return not login_address_known(username, ip)


def login_address_known(username: str, ip: str | None) -> bool:
    if not ip:
        return False
    since = timezone.now() - timedelta(days=KNOWN_ADDRESS_DAYS)
    return KnownLoginAddress.objects.filter(username=login_key(username), ip=ip, last_at__gte=since).exists()


def login_failure_record(username: str, ip: str | None) -> None:
    LoginFailure.objects.create(username=login_key(username), ip=ip)
    LoginFailure.objects.filter(at__lt=timezone.now() - WINDOW * 4).delete()


def login_success_record(username: str, ip: str | None) -> None:
    if ip:
        KnownLoginAddress.objects.update_or_create(
            username=login_key(username), ip=ip, defaults={"last_at": timezone.now()}
        )


class LimitedLoginMixin:
    """Refuses a locked username or address before checking the password; counts failures."""

    locked_message = _("Too many failed attempts. Wait 15 minutes and try again.")

    def clean(self):
        username = self.cleaned_data.get("username")
        ip = client_ip(self.request) if self.request is not None else None
        if username and login_blocked(username, ip):
            raise ValidationError(self.locked_message, code="locked")
        try:
            cleaned = super().clean()
        except ValidationError as error:
            # A wrong password, or a right one with a wrong (or throttled) two-factor code, is a guess.
            if username and getattr(error, "code", None) not in NOT_A_GUESS:
                login_failure_record(username, ip)
            raise
        if username and self.get_user() is not None:
            login_success_record(username, ip)
        return cleaned


class LimitedAuthenticationForm(LimitedLoginMixin, AuthenticationForm):
    pass


class LimitedAdminAuthenticationForm(LimitedLoginMixin, AdminAuthenticationForm):
    pass


class LimitedOTPAdminAuthenticationForm(LimitedLoginMixin, OTPAdminAuthenticationForm):
    """The admin's login with a TOTP code (STAFF_TWO_FACTOR=True)."""


def form_is_locked(form: forms.Form) -> bool:
    return form.has_error(NON_FIELD_ERRORS, "locked")


class RateLimitedLoginView(auth_views.LoginView):
    authentication_form = LimitedAuthenticationForm

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=429 if form_is_locked(form) else 200)
