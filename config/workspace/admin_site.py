"""The admin site: the same login limits as /login/, and TOTP two-factor for staff when
STAFF_TWO_FACTOR=True (django-otp; docs/security.md)."""

from django.conf import settings
from django.contrib import admin

from config.workspace.login import LimitedAdminAuthenticationForm, LimitedOTPAdminAuthenticationForm


class WorkspaceAdminSite(admin.AdminSite):
    site_header = "MergeInbox administration"

    @property
    def login_form(self):
        return LimitedOTPAdminAuthenticationForm if settings.STAFF_TWO_FACTOR else LimitedAdminAuthenticationForm

    @property
    def login_template(self):
        return "otp/admin111/login.html" if settings.STAFF_TWO_FACTOR else None

    def has_permission(self, request) -> bool:
        """Staff, and with STAFF_TWO_FACTOR verified by a TOTP device in this session."""
        allowed = super().has_permission(request)
        if allowed and settings.STAFF_TWO_FACTOR:
            return request.user.is_verified()
        return allowed
