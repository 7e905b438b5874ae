"""Django settings for Veilleur.

A user never edits this file: every knob is an environment variable with a safe default
(the README lists them). The data directory holds the SQLite database and the secret key,
which is generated on first start.
"""

from __future__ import annotations

import importlib.util
import ipaddress
import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import dj_database_url

from veilleur.bind_address import DEFAULT_BIND, base_url_for_bind
from veilleur.domain.validators import check_domain
from veilleur.notifications.smtp_url import DEFAULT_SMTP_URL, SmtpUrlError, parse_smtp_url
from veilleur.operations.logs import formatter_config, log_format_from_env
from veilleur.throttling.addresses import parse_networks

BASE_DIR = Path(__file__).resolve().parent
# django-ninja is not an installed app: importing it loads pydantic and the API's schema machinery
# (about 15 MiB), which only the web role's API views need. Its templates and static files are
# found from where the package lies, without importing it.
_NINJA_DIR = Path(str(importlib.util.find_spec("ninja").origin)).parent  # type: ignore[union-attr]


def _env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise SystemExit(f"{name} must be an integer, got {raw!r}") from exc


def _status_host(raw: str, base_url: str) -> str:
    if not raw.strip():
        return (urlsplit(base_url).hostname or "").lower()
    try:
        return check_domain(raw.strip().rstrip("."))
    except ValueError as exc:
        raise SystemExit(f"VEILLEUR_STATUS_HOST: {exc}") from None


def _dns_server(raw: str, name: str = "VEILLEUR_DNS_SERVER") -> tuple[str, int] | None:
    """``address:port``, ``[v6 address]:port`` or a bare address (port 53); empty: None."""
    raw = raw.strip()
    if not raw:
        return None
    address, port = raw, "53"
    if raw.startswith("["):
        address, _, rest = raw[1:].partition("]")
        port = rest.removeprefix(":") or port
    elif raw.count(":") == 1:
        address, port = raw.split(":")
    try:
        ipaddress.ip_address(address)
    except ValueError:
        raise SystemExit(
            f"{name} must be an IP address with an optional port, e.g. 127.0.0.1:53, got {raw!r}"
        ) from None
    if not port.isdigit() or not 1 <= int(port) <= 65535:
        raise SystemExit(f"{name}: invalid port {port!r} (1-65535)")
    return address, int(port)


DATA_DIR = Path(os.environ.get("VEILLEUR_DATA_DIR", "./data")).resolve()


def _secret_key() -> str:
    """The key from VEILLEUR_SECRET_KEY, else the one kept in the data directory (made once)."""
    from_env = os.environ.get("VEILLEUR_SECRET_KEY")
    if from_env:
        return from_env
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        # Written through O_EXCL so two processes starting together cannot end up with two keys.
        try:
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(50))
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = _env_bool("VEILLEUR_DEBUG", False)

# Hosts of the agency's own application. Any other Host is served only when it is a status page's
# verified custom domain (statuspages/routing.py); everything else gets a 400.
ALLOWED_HOSTS = [
    host.strip()
    for host in os.environ.get("VEILLEUR_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")
    if host.strip()
]
CSRF_TRUSTED_ORIGINS = [
    origin.strip()
    for origin in os.environ.get("VEILLEUR_CSRF_TRUSTED_ORIGINS", "").split(",")
    if origin.strip()
]

INSTALLED_APPS = [
    # Admin modules are loaded by urls.py (the web role), not by every process that sets Django up:
    # the checker and the worker never import them, nor what they import (API schema, Pillow, …).
    "django.contrib.admin.apps.SimpleAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "veilleur.accounts",
    "veilleur.plans",
    "veilleur.clients",
    "veilleur.monitoring",
    "veilleur.incidents",
    "veilleur.history",
    "veilleur.certificates",
    "veilleur.lab",  # daily lab page metrics in headless Chromium (lab/jobs.py)
    "veilleur.notifications",
    "veilleur.api",
    "veilleur.reports",
    "veilleur.statuspages",
    "veilleur.throttling",
    "veilleur.dashboard",
    "veilleur.portal",
    "veilleur.domains",  # domain registration expiry (RDAP)
    "veilleur.cms",  # the CMS and version each site runs
    "django_htmx",  # serves htmx itself (no JavaScript build): the dashboard's live parts
    "axes",  # counts failed sign-ins (veilleur/throttling/signin.py)
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy and HSTS on every response, status pages included (security_headers.py).
    "veilleur.security_headers.SecurityHeaders",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Decides from the Host header and path whether a request is for a status page, and answers
    # those itself; unknown hosts stop here (statuspages/routing.py).
    "veilleur.statuspages.routing.StatusPageRouting",
    # A database that cannot be reached answers 503 (JSON for the API), not 500 (unavailable.py).
    "veilleur.unavailable.DatabaseUnavailable",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # request.htmx: a dashboard view answers an htmx refresh with the fragment only.
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: turns a locked-out sign-in into the "too many attempts" page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "veilleur.urls"
WSGI_APPLICATION = "veilleur.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # django-ninja's page templates (the API reference), found without importing ninja.
        "DIRS": [_NINJA_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]


def _databases() -> dict[str, dict[str, Any]]:
    url = os.environ.get("DATABASE_URL", "")
    if url:
        config: dict[str, Any] = dict(dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True))
        # A database host that stops answering fails a connection in seconds, not minutes.
        config.setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)
        test_name = os.environ.get("VEILLEUR_TEST_DATABASE_NAME")
        if test_name:
            config["TEST"] = {"NAME": test_name}
        return {"default": config}
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    return {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": Path(os.environ.get("VEILLEUR_SQLITE_PATH") or DATA_DIR / "veilleur.sqlite3"),
            # Each web thread keeps its connection, as with PostgreSQL: opening one (and running
            # the PRAGMAs) cost more than the whole cached status page (bench/statuspage).
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": {
                # WAL lets readers (the web role) run while a writer (the checker) commits;
                # IMMEDIATE transactions take the write lock up front, so two writers wait on the
                # busy timeout instead of failing with "database is locked" half-way through.
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
                ),
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }
    }


DATABASES = _databases()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.StaffUser"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# django-axes first: it refuses a locked-out sign-in before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Client users of the portal: answers only sign-ins that say realm="portal" (portal/access.py).
    "veilleur.portal.access.PortalBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login/"

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True
# Django 6 behaviour now: a scheme-less URL typed in a form means https.
FORMS_URLFIELD_ASSUME_HTTPS = True

STATIC_URL = "/static/"
# django-ninja's Swagger UI, served from the installed package (api/docs.py renders the page).
STATICFILES_DIRS = [_NINJA_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Static files are served from the installed packages without a collectstatic step.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = _env_bool("VEILLEUR_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True

# --- Veilleur's own settings -------------------------------------------------------------
VEILLEUR_BIND = os.environ.get("VEILLEUR_BIND") or DEFAULT_BIND
# Without a public address, links say where the web role listens: what a first run can open.
_bound_url = base_url_for_bind(VEILLEUR_BIND) or "http://127.0.0.1:8000"
VEILLEUR_BASE_URL = (os.environ.get("VEILLEUR_BASE_URL") or _bound_url).rstrip("/")
if "VEILLEUR_ALLOWED_HOSTS" not in os.environ and not os.environ.get("VEILLEUR_BASE_URL"):
    ALLOWED_HOSTS.append(urlsplit(_bound_url).hostname or "127.0.0.1")  # so that those links open
# Strict-Transport-Security's max-age; 0 sends none. By default one year once the install says
# it is served over HTTPS (security_headers.py).
VEILLEUR_HSTS_SECONDS = _env_int(
    "VEILLEUR_HSTS_SECONDS", 31_536_000 if VEILLEUR_BASE_URL.startswith("https://") else 0
)
VEILLEUR_MIN_INTERVAL_SECONDS = _env_int("VEILLEUR_MIN_INTERVAL_SECONDS", 10)
VEILLEUR_SETUP_LINK_HOURS = _env_int("VEILLEUR_SETUP_LINK_HOURS", 24)
VEILLEUR_ALLOW_PRIVATE_TARGETS = _env_bool("VEILLEUR_ALLOW_PRIVATE_TARGETS", False)
# The Chromium the worker loads pages with once a day for lab page metrics (lab/jobs.py); where it
# is missing, sites are marked "not measured" and nothing else changes.
VEILLEUR_CHROMIUM_PATH = os.environ.get("VEILLEUR_CHROMIUM_PATH") or "/usr/bin/chromium"
VEILLEUR_CHECKER_CONCURRENCY = _env_int("VEILLEUR_CHECKER_CONCURRENCY", 400)
VEILLEUR_CHECKER_PER_HOST = _env_int("VEILLEUR_CHECKER_PER_HOST", 4)
VEILLEUR_CONFIRM_DELAY_MS = _env_int("VEILLEUR_CONFIRM_DELAY_MS", 1000)
VEILLEUR_HEDGE_AFTER_MS = _env_int("VEILLEUR_HEDGE_AFTER_MS", 2000)


def _canary_urls(raw: str) -> tuple[str, ...]:
    """The checker's canaries (checker/selfhealth.py): comma-separated http(s) URLs."""
    from veilleur.domain.validators import check_http_url

    urls = []
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        try:
            urls.append(check_http_url(item))
        except ValueError as exc:
            raise SystemExit(f"VEILLEUR_CANARY_URLS: {exc}") from None
    return tuple(dict.fromkeys(urls))


# Sites that answer whenever the checker's network works; when they all fail with the monitors,
# the checker is cut off and stores no verdict (docs/operations.md, "Checker self-health").
VEILLEUR_CANARY_URLS = _canary_urls(os.environ.get("VEILLEUR_CANARY_URLS", ""))

VEILLEUR_RAW_RETENTION_DAYS = _env_int("VEILLEUR_RAW_RETENTION_DAYS", 14)
if VEILLEUR_RAW_RETENTION_DAYS < 1:
    raise SystemExit(f"VEILLEUR_RAW_RETENTION_DAYS must be at least 1, got {VEILLEUR_RAW_RETENTION_DAYS}")
# When the worker sends each client the report of the month just ended: this day of the month, from
# this hour on, in the client's time zone.
VEILLEUR_REPORT_DAY = _env_int("VEILLEUR_REPORT_DAY", 1)
if not 1 <= VEILLEUR_REPORT_DAY <= 28:
    raise SystemExit(f"VEILLEUR_REPORT_DAY must be between 1 and 28, got {VEILLEUR_REPORT_DAY}")
VEILLEUR_REPORT_HOUR = _env_int("VEILLEUR_REPORT_HOUR", 8)
if not 0 <= VEILLEUR_REPORT_HOUR <= 23:
    raise SystemExit(f"VEILLEUR_REPORT_HOUR must be between 0 and 23, got {VEILLEUR_REPORT_HOUR}")
# A PEM file of CA certificates the checker trusts *instead of* the system store (private CAs, tests).
VEILLEUR_CA_FILE = os.environ.get("VEILLEUR_CA_FILE", "")
# Where the worker learns which RDAP service answers for which TLD (RFC 9224); kept a week.
VEILLEUR_RDAP_BOOTSTRAP_URL = (
    os.environ.get("VEILLEUR_RDAP_BOOTSTRAP_URL") or "https://data.iana.org/rdap/dns.json"
)
# Where the worker sends mail (docs/notifications.md): smtp://, smtps://, ?starttls=1, ?timeout=.
VEILLEUR_SMTP_URL = os.environ.get("VEILLEUR_SMTP_URL") or DEFAULT_SMTP_URL
try:
    parse_smtp_url(VEILLEUR_SMTP_URL)
except SmtpUrlError as exc:
    raise SystemExit(str(exc)) from None

# The bearer token Prometheus sends to read /metrics; unset, /metrics does not exist (docs/operations.md).
VEILLEUR_METRICS_TOKEN = os.environ.get("VEILLEUR_METRICS_TOKEN", "").strip()

# The host name clients' custom domains point at with a CNAME (docs/status-pages.md); by default
# the host of VEILLEUR_BASE_URL.
VEILLEUR_STATUS_HOST = _status_host(os.environ.get("VEILLEUR_STATUS_HOST", ""), VEILLEUR_BASE_URL)
# The DNS server custom domains are checked against, as (address, port); None: the system's resolver.
VEILLEUR_DNS_SERVER = _dns_server(os.environ.get("VEILLEUR_DNS_SERVER", ""))
# The DNS server the checker's probes resolve monitored host names with; None: the system's.
VEILLEUR_CHECKER_DNS_SERVER = _dns_server(
    os.environ.get("VEILLEUR_CHECKER_DNS_SERVER", ""), "VEILLEUR_CHECKER_DNS_SERVER"
)

# Brute force (docs/security.md): failed sign-ins are counted per account and per client address
# in the database, which every web process shares; the client address is read behind these proxies.
try:
    VEILLEUR_TRUSTED_PROXIES = parse_networks(os.environ.get("VEILLEUR_TRUSTED_PROXIES", "127.0.0.1,::1"))
except ValueError as exc:
    raise SystemExit(f"VEILLEUR_TRUSTED_PROXIES: {exc}") from None
AXES_FAILURE_LIMIT = _env_int("VEILLEUR_SIGNIN_FAILURE_LIMIT", 10)
_LOCKOUT_MINUTES = _env_int("VEILLEUR_SIGNIN_LOCKOUT_MINUTES", 15)
for _name, _value in (("FAILURE_LIMIT", AXES_FAILURE_LIMIT), ("LOCKOUT_MINUTES", _LOCKOUT_MINUTES)):
    if _value < 1:
        raise SystemExit(f"VEILLEUR_SIGNIN_{_name} must be at least 1, got {_value}")
AXES_COOLOFF_TIME = timedelta(minutes=_LOCKOUT_MINUTES)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_USERNAME_CALLABLE = "veilleur.throttling.signin.signin_subject"
AXES_CLIENT_IP_CALLABLE = "veilleur.throttling.addresses.client_address"
AXES_LOCKOUT_CALLABLE = "veilleur.throttling.signin.locked_out"
# A success clears nothing (else one's own account would reset an address's count), and tries
# while locked out do not lengthen the lock (else anyone could keep an account locked for ever).
AXES_RESET_ON_SUCCESS = False
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_DISABLE_ACCESS_LOG = True
AXES_ENABLE_ADMIN = False
AXES_VERBOSE = False

# The client portal's e-mailed sign-in links (django-sesame): a magic link lasts 15 minutes, a
# password-reset link an hour, and either dies once used (signing in changes what it was signed with).
SESAME_MAX_AGE = timedelta(hours=1)
SESAME_ONE_TIME = True

# Text lines, or one JSON object per line with VEILLEUR_LOG_FORMAT=json (docs/operations.md).
try:
    VEILLEUR_LOG_FORMAT = log_format_from_env()
except ValueError as exc:
    raise SystemExit(str(exc)) from None
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": formatter_config(VEILLEUR_LOG_FORMAT)},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("VEILLEUR_LOG_LEVEL", "INFO")},
    # django-axes logs every failed sign-in at INFO and WARNING; its warnings are enough.
    "loggers": {"axes": {"level": "WARNING"}},
}
