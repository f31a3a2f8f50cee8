"""One settings module, driven by the environment.

The embedded default (no DATABASE_URL) is a SQLite file for the quick demo; production and the
test suite use PostgreSQL. See README "Running in production" for the variables.
"""

import base64
import hashlib
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from config.env import env_bool, env_float, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", False)
# SECRET_KEY (or SECRET_KEY_FILE) is required unless DEBUG=True (the demo): never start on a public key.
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY (or SECRET_KEY_FILE) must be set when DEBUG is not True; see docs/security.md."
        )
    SECRET_KEY = "django-insecure-dev-only-key-set-SECRET_KEY-in-production"
# Keys that encrypt channel secrets and access tokens at rest (Fernet keys, comma-separated; the
# first encrypts, all decrypt: see docs/security.md for rotation). Required unless DEBUG=True, where
# a key derived from SECRET_KEY serves the demo.
FIELD_ENCRYPTION_KEYS = env_list("FIELD_ENCRYPTION_KEYS")
if not FIELD_ENCRYPTION_KEYS:
    if not DEBUG:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS (or FIELD_ENCRYPTION_KEYS_FILE) must be set when DEBUG is not True; "
            "make one with: python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
        )
    FIELD_ENCRYPTION_KEYS = [base64.urlsafe_b64encode(hashlib.sha256(SECRET_KEY.encode()).digest()).decode()]
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SITE_URL = env_str("SITE_URL", "http://localhost:8000")
# Live updates: where pages open their event stream (an ASGI server, e.g. uvicorn, serving
# config.asgi); the default is this server's own /live/stream/. Pages polled from other origins
# (the WSGI server's, when the stream has its own port) must be listed to open it with cookies.
LIVE_STREAM_URL = env_str("LIVE_STREAM_URL", "")
LIVE_STREAM_ALLOWED_ORIGINS = env_list("LIVE_STREAM_ALLOWED_ORIGINS", "")

INSTALLED_APPS = [
    "config.workspace.apps.WorkspaceAdminConfig",  # django.contrib.admin on our admin site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "guardian",
    "simple_history",
    "django_tasks_db",
    "config.workspace.apps.WorkspaceConfig",
    "config.demo.apps.DemoConfig",
    "channels.apps.ChannelsConfig",
    "contacts.apps.ContactsConfig",
    "conversations.apps.ConversationsConfig",
    "merging.apps.MergingConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "config.web.RejectNulMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "config.workspace.permissions.PolicyCacheMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "config.web.PrivatePagesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "config.context_processors.navigation",
            ],
        },
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DB_CONN_MAX_AGE", 0),
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "workspace.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
GUARDIAN_RAISE_403 = True
ANONYMOUS_USER_NAME = None

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("id", "Bahasa Indonesia"), ("it", "Italiano"), ("fr", "Français")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
WHITENOISE_AUTOREFRESH = DEBUG
WHITENOISE_USE_FINDERS = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

TASKS = {
    "default": {
        "BACKEND": env_str("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

# Workspace defaults (the Workspace row can override them in the admin).
DEFAULT_PHONE_REGION = env_str("DEFAULT_PHONE_REGION", "ID")

# Outbound platform APIs: configurable so tests and staging can point them at a local server.
WHATSAPP_API_BASE = env_str("WHATSAPP_API_BASE", "https://graph.facebook.com/v21.0")
META_GRAPH_API_BASE = env_str("META_GRAPH_API_BASE", "https://graph.facebook.com/v21.0")
TELEGRAM_API_BASE = env_str("TELEGRAM_API_BASE", "https://api.telegram.org")
OUTBOUND_TIMEOUT_SECONDS = env_int("OUTBOUND_TIMEOUT_SECONDS", 10)
# The hard limit of one webhook delivery (413 above it): e-mail with attachments is the largest.
WEBHOOK_MAX_BYTES = env_int("WEBHOOK_MAX_BYTES", 25 * 1024 * 1024)
# Deliveries larger than this are kept in file storage (STORAGES["default"]), not in the row.
INBOUND_INLINE_MAX_BYTES = env_int("INBOUND_INLINE_MAX_BYTES", 256 * 1024)
# The inbound worker wakes on PostgreSQL NOTIFY; it also looks for work this often (SQLite has no NOTIFY).
INBOUND_POLL_SECONDS = env_float("INBOUND_POLL_SECONDS", 1.0)
# Group commit of the ASGI webhook path (channels.delivery_log.AcceptQueue): at most this many
# deliveries, and this many bytes of bodies, per transaction; and how long the writer waits for
# more after the first one arrives (0: it writes at once, and what arrives meanwhile is the next batch).
INBOUND_ACCEPT_BATCH_ROWS = env_int("INBOUND_ACCEPT_BATCH_ROWS", 500)
INBOUND_ACCEPT_BATCH_BYTES = env_int("INBOUND_ACCEPT_BATCH_BYTES", 8 * 1024 * 1024)
INBOUND_ACCEPT_LINGER_MS = env_float("INBOUND_ACCEPT_LINGER_MS", 0)
# A webhook waits this long at most for its row's commit (then 503: the platform sends it again),
# and the writer's statement and lock waits are cut off as long; a process with this many rows
# waiting answers 503 at once instead of queueing more.
INBOUND_ACCEPT_TIMEOUT_SECONDS = env_float("INBOUND_ACCEPT_TIMEOUT_SECONDS", 10)
INBOUND_ACCEPT_MAX_WAITING = env_int("INBOUND_ACCEPT_MAX_WAITING", 5000)
DATA_UPLOAD_MAX_MEMORY_SIZE = WEBHOOK_MAX_BYTES
# Rate limits of the public web chat endpoints, {"session"|"message"|"webhook": {"visitor"|"channel":
# (requests, seconds)}}; what is not named keeps the defaults in channels/rate_limits.py.
WEBCHAT_RATE_LIMITS: dict = {}

# Media (attachments). Files go to the default storage: local files under MEDIA_ROOT unless
# STORAGES["default"] is an S3-compatible store (django-storages; see docs/media.md).
MEDIA_ROOT = env_str("MEDIA_ROOT", str(BASE_DIR / "media"))
MEDIA_TIMEOUT_SECONDS = env_int("MEDIA_TIMEOUT_SECONDS", 60)
# E-mail arrives whole: its attachments (base64, a third larger) must fit in the webhook body.
EMAIL_MAX_BYTES = env_int("EMAIL_MAX_BYTES", 25 * 1024 * 1024)
EMAIL_WEBHOOK_MAX_BYTES = max(WEBHOOK_MAX_BYTES, EMAIL_MAX_BYTES * 4 // 3 + 1024 * 1024)
# The largest file an agent may upload in the composer (each channel's own limit applies too).
MEDIA_UPLOAD_MAX_BYTES = env_int("MEDIA_UPLOAD_MAX_BYTES", 100 * 1024 * 1024)
# Per-channel-kind size limits override the platforms' own (MEDIA_MAX_BYTES_WHATSAPP=...).
MEDIA_MAX_BYTES = {
    kind: env_int(f"MEDIA_MAX_BYTES_{kind.upper()}", 0)
    for kind in ("whatsapp", "telegram", "messenger", "instagram", "email", "webchat")
    if env_int(f"MEDIA_MAX_BYTES_{kind.upper()}", 0)
}
MEDIA_MAX_BYTES.setdefault("email", EMAIL_MAX_BYTES)
MEDIA_DOWNLOAD_ATTEMPTS = env_int("MEDIA_DOWNLOAD_ATTEMPTS", 5)
MEDIA_RETRY_BACKOFF_SECONDS = env_int("MEDIA_RETRY_BACKOFF_SECONDS", 30)  # doubled after every failure
# Files of attachments older than this many days are deleted by `manage.py media_purge` (0: never).
MEDIA_RETENTION_DAYS = env_int("MEDIA_RETENTION_DAYS", 0)
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

MAILERS = {
    "default": {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {
            "host": env_str("EMAIL_HOST", "localhost"),
            "port": env_int("EMAIL_PORT", 25),
            "username": env_str("EMAIL_HOST_USER"),
            "password": env_str("EMAIL_HOST_PASSWORD"),
            "use_tls": env_bool("EMAIL_USE_TLS", False),
            "timeout": env_int("EMAIL_TIMEOUT", 10),
        },
    }
}
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "support@localhost")

# Behind TLS in production: HTTPS=True turns on every transport-security setting.
HTTPS = env_bool("HTTPS", False)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = 31_536_000 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None
# The reverse proxies in front of the app (addresses or networks, e.g. "127.0.0.1,10.0.0.0/8"): from
# them, the client's address is read from X-Forwarded-For (login limits). Empty: REMOTE_ADDR is the client.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES")
# Staff (the admin, where channel secrets are set) log in with a TOTP code as well as their password.
# Give each staff user a device first: `manage.py totp_add USERNAME` prints the authenticator link.
STAFF_TWO_FACTOR = env_bool("STAFF_TWO_FACTOR", False)
OTP_TOTP_ISSUER = env_str("OTP_TOTP_ISSUER", "MergeInbox")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True


# Content-Security-Policy (Django's own): scripts and styles only from this site or with the
# request's nonce, no inline handlers, no framing. The web chat widget's endpoints send their own
# policy (conversations/inbound/widget_views.py); docs/security.md says what a host site must allow.
def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:", "blob:"],
    "media-src": [CSP.SELF, "blob:"],
    # The live stream may be served from another origin (LIVE_STREAM_URL): pages must reach it.
    "connect-src": [CSP.SELF, *([_origin(LIVE_STREAM_URL)] if _origin(LIVE_STREAM_URL) else [])],
    "font-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
if env_str("CSP_REPORT_URI"):
    SECURE_CSP["report-uri"] = [env_str("CSP_REPORT_URI")]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}
