"""Login with rate limiting: too many failures for one username or from one address lock it out
for a while, whichever process serves the request."""

from datetime import timedelta

from django.contrib.auth import views as auth_views
from django.utils import timezone
from django.utils.translation import gettext as _

from config.workspace.models import LoginFailure

WINDOW = timedelta(minutes=15)
MAX_PER_USERNAME = 5
MAX_PER_IP = 20


def client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def login_blocked(username: str, ip: str | None) -> bool:
    since = timezone.now() - WINDOW
    recent = LoginFailure.objects.filter(at__gte=since)
    if recent.filter(username=username.lower()).count() >= MAX_PER_USERNAME:
        return True
    return bool(ip) and recent.filter(ip=ip).count() >= MAX_PER_IP


def login_failure_record(username: str, ip: str | None) -> None:
    LoginFailure.objects.create(username=username.lower()[:150], ip=ip)
    LoginFailure.objects.filter(at__lt=timezone.now() - WINDOW * 4).delete()


class RateLimitedLoginView(auth_views.LoginView):
    def post(self, request, *args, **kwargs):
        username = request.POST.get("username", "")
        if login_blocked(username, client_ip(request)):
            form = self.get_form()
            form.add_error(None, _("Too many failed attempts. Wait 15 minutes and try again."))
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        login_failure_record(self.request.POST.get("username", ""), client_ip(self.request))
        return super().form_invalid(form)
