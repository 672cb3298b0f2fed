"""Settings for Claimtrack, read from the environment.

The defaults give a safe local demo on SQLite; `config.settings.production` hardens them.
Malformed environment values stop start-up with a message instead of being guessed at.
"""

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import unquote, urlsplit

import dj_database_url
from corsheaders.defaults import default_headers as default_cors_headers
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_bool(name: str, default: bool) -> bool:
    """Read a boolean variable, refusing anything but the usual spellings of true and false."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean; use one of 1/0, true/false.")


def env_list(name: str, default: list[str]) -> list[str]:
    """Read a comma-separated list, ignoring blanks around the commas."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_float(name: str, default: float, *, minimum: float | None = None) -> float:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a number.") from None
    if minimum is not None and not value >= minimum:
        raise ImproperlyConfigured(f"{name}={raw!r} must be at least {minimum:g}.")
    return value


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not an integer.") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name}={raw!r} must be at least {minimum}.")
    return value


_RATE_PERIODS = {"s", "sec", "second", "m", "min", "minute", "h", "hour", "d", "day"}


def env_rate(name: str, default: str) -> str | None:
    """Read a DRF throttle rate (`600/minute`, `10/s`); empty switches the limit off."""
    raw = os.environ.get(name, default).strip()
    if not raw:
        return None
    count, _, period = raw.partition("/")
    if not count.isdigit() or period.strip().lower() not in _RATE_PERIODS:
        raise ImproperlyConfigured(
            f"{name}={raw!r} is not a rate; write requests/period, such as 600/minute "
            "(period: second, minute, hour or day), or leave it empty for no limit."
        )
    return f"{int(count)}/{period.strip().lower()}"


def _port_valid(parts) -> bool:
    try:
        parts.port  # noqa: B018 - reading it is the check: it raises on a port out of range
    except ValueError:
        return False
    return True


def env_site_url(name: str, default: str) -> str:
    """Read the address the site is reached at (`https://claimtrack.example`), for links that
    leave it, such as those in mail; without a trailing slash."""
    raw = os.environ.get(name, default)
    value = raw.strip().rstrip("/")
    parts = urlsplit(value)
    if (
        parts.scheme not in ("http", "https")
        or not _port_valid(parts)
        or not parts.hostname
        or parts.username is not None
        or parts.path
        or parts.query
        or parts.fragment
        or any(character.isspace() for character in value)
    ):
        raise ImproperlyConfigured(
            f"{name}={raw!r} is not a site address; give its scheme and host (and port), "
            "such as https://claimtrack.example, with no path."
        )
    return value


DEBUG = env_bool("DJANGO_DEBUG", True)
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "insecure-local-demo-key-never-use-in-production")
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django.contrib.postgres",
    "csp",
    "corsheaders",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "allauth",
    "allauth.account",
    "axes",
    "knox",
    "accounts",
    "notes",
    "claims",
    "contributions",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Public reads from the replica, a writer's own reads from the primary (notes/routing.py).
    "notes.routing.ReplicaRoutingMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "config.csp.SiteCSPMiddleware",
    # Stamps every history row written during a request with the user who made it.
    "simple_history.middleware.HistoryRequestMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # Last, so that it sees what every login form decided (see accounts/lockout.py).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.roles",
            ],
        },
    },
]


def database_from_env(name: str, default: str | None = None) -> dict[str, object]:
    """Django's settings for the database the URL in `name` names; empty when it is unset."""
    try:
        return dj_database_url.config(
            env=name, default=default, conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0)
        )
    except ValueError as error:  # dj-database-url's answer to an unknown scheme or a garbled URL
        raise ImproperlyConfigured(f"{name} is malformed: {error}") from None


DATABASES = {"default": database_from_env("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if os.environ.get("DATABASE_REPLICA_URL", "").strip():
    # The tests make their database on the primary only and read its streamed copy on the
    # replica: MIRROR gives the replica alias the test database's NAME, never its host or port.
    DATABASES["replica"] = {
        **database_from_env("DATABASE_REPLICA_URL"),
        "TEST": {"MIRROR": "default"},
    }

# The public API's and pages' reads go to the replica when there is one; writes, the admin,
# accounts and transactions to the primary (notes/routing.py). A reader who wrote reads from
# the primary for this many seconds after, and longer while the replica lags behind the write.
DATABASE_ROUTERS = ["notes.routing.ReplicaRouter"]
# The hottest read queries (a claim's detail) are prepared on PostgreSQL, planned once per
# connection; off behind a pooler that moves a session's statements between connections
# (PgBouncer in transaction mode before 1.21).
DATABASE_PREPARED_STATEMENTS = env_bool("DATABASE_PREPARED_STATEMENTS", True)
DATABASE_REPLICA_STICKY_SECONDS = env_float("DATABASE_REPLICA_STICKY_SECONDS", 5.0, minimum=0)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/"

# Content-Security-Policy on every response: this site only, no inline script or style, no
# plugins, no framing. The video page adds YouTube's player (claims.views.YOUTUBE_POLICY) and the
# API docs what Swagger UI and Redoc need (config/urls.py), each for its own views.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# One shared cache, so that every worker process counts against the same rate limits.
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        if (REDIS_URL := os.environ.get("REDIS_URL"))
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

REST_FRAMEWORK = {
    # The token first: a request without credentials is then answered 401 with
    # `WWW-Authenticate: Token`, and a bad or expired token is a 401 rather than a 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_RENDERER_CLASSES": [
        "config.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "config.api.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "config.throttling.AnonRateThrottle",
        "config.throttling.UserRateThrottle",
    ],
    # Anonymous readers share a budget per client address, signed-in users have one per
    # account; set either to "" to switch it off.
    "DEFAULT_THROTTLE_RATES": {
        "anon": env_rate("API_ANON_RATE", "600/minute"),
        "user": env_rate("API_USER_RATE", "1200/minute"),
    },
    # The client's address is REMOTE_ADDR, unless that many proxies of our own stand in front:
    # then it is the address the outermost one saw, from the end of X-Forwarded-For. Whatever
    # else that header holds was written by the client, and may be anything.
    "NUM_PROXIES": env_int("DJANGO_TRUSTED_PROXIES", 0, minimum=0),
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Claimtrack API",
    "DESCRIPTION": (
        "Published claims made in videos, at which second and by whom, with the arguments "
        "for and against each. Reads need no account."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    # Swagger UI and Redoc are served from this site (the sidecar), never from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Contributions have a status and a kind of their own, beside the claims' status.
    "ENUM_NAME_OVERRIDES": {
        "ContributionStatusEnum": "contributions.models.State",
        "ContributionKindEnum": "contributions.models.Kind",
        "StatusEnum": "claims.models.Status",
        "KindEnum": ["note", "channel", "topic"],
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "config.api.require_non_blank_query_values",
    ],
}

# The API's response cache (config/api.py): how long a rendered page is kept, in seconds (0 keeps
# none), and the largest body kept, in bytes. Any address a client makes up, each search for
# instance, is an entry: these bound what one client can make the cache hold.
API_RESPONSE_CACHE_SECONDS = env_int("API_RESPONSE_CACHE_SECONDS", 600, minimum=0)
API_RESPONSE_CACHE_MAX_BYTES = env_int("API_RESPONSE_CACHE_MAX_BYTES", 256 * 1024, minimum=0)

# How long a process trusts the content revision it read (see notes/revisions.py), in seconds.
CONTENT_REVISION_TRUST_SECONDS = env_float("CONTENT_REVISION_TRUST_SECONDS", 1.0)

# What one vault note may hold (see notes.parsing.Limits, whose defaults these are): a file
# past one of them is reported and skipped before it costs the work the limit bounds.
IMPORT_MAX_FILE_BYTES = env_int("IMPORT_MAX_FILE_BYTES", 2 * 1024 * 1024, minimum=1)
IMPORT_MAX_LINE_CHARS = env_int("IMPORT_MAX_LINE_CHARS", 100_000, minimum=1)
IMPORT_MAX_FRONT_MATTER_CHARS = env_int("IMPORT_MAX_FRONT_MATTER_CHARS", 64 * 1024, minimum=1)
IMPORT_MAX_FRONT_MATTER_DEPTH = env_int("IMPORT_MAX_FRONT_MATTER_DEPTH", 20, minimum=1)
IMPORT_MAX_TIMESTAMPS = env_int("IMPORT_MAX_TIMESTAMPS", 20_000, minimum=0)
IMPORT_MAX_LINKS = env_int("IMPORT_MAX_LINKS", 20_000, minimum=0)

# Contributions: how many one contributor may have waiting (pending or sent back for changes),
# and how many new ones in any 24 hours; each approved one raises the daily limit by one, up to
# the cap. See contributions/quotas.py.
CONTRIBUTION_MAX_PENDING = env_int("CONTRIBUTION_MAX_PENDING", 20, minimum=0)
CONTRIBUTION_DAILY_LIMIT = env_int("CONTRIBUTION_DAILY_LIMIT", 10, minimum=0)
CONTRIBUTION_DAILY_LIMIT_CAP = env_int("CONTRIBUTION_DAILY_LIMIT_CAP", 50, minimum=0)
# Files per transaction of an import: a crash loses at most one batch, and other writers wait
# for the content revision's lock at most one batch's commit.
IMPORT_BATCH_SIZE = env_int("IMPORT_BATCH_SIZE", 50, minimum=1)
# Characters of a note body (and of a claim's text, quotes and arguments together) that the
# full-text index reads: PostgreSQL refuses a search vector over 1 MB, which short distinct
# words reach at about 6 bytes a character.
SEARCH_MAX_INDEXED_CHARS = env_int("SEARCH_MAX_INDEXED_CHARS", 150_000, minimum=1)

# Accounts (accounts/): sign-up, log-in and e-mail confirmation by django-allauth, lockout after
# failed logins by django-axes, API tokens by django-rest-knox. The README says why each is so.

AUTHENTICATION_BACKENDS = [
    # First, so that a locked-out client is refused before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend (permissions included) that also takes an e-mail address. Django's
    # own beside it would hash every wrong password a second time.
    "allauth.account.auth_backends.AuthenticationBackend",
]

ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*", "password2*"]
# Nobody contributes before confirming an address: a login with none confirmed sends a new link.
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Claimtrack] "
# allauth's limit on failed logins per username or e-mail address, from any client address, as
# its default has it; stated here so that its message can say how long to wait.
LOGIN_FAILURES_PER_ACCOUNT = 5
LOGIN_FAILURES_WINDOW_MINUTES = 5
ACCOUNT_RATE_LIMITS = {
    "login_failed": f"10/m/ip,{LOGIN_FAILURES_PER_ACCOUNT}/{LOGIN_FAILURES_WINDOW_MINUTES}m/key"
}
# allauth counts its rate limits per client address by the same rule as the API's.
ALLAUTH_TRUSTED_PROXY_COUNT = REST_FRAMEWORK["NUM_PROXIES"]

AXES_ENABLED = env_bool("AXES_ENABLED", True)
# Failed logins in a row for one username from one address before they are locked out, and
# for how long after the last of them. See accounts/lockout.py for why both together.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 10, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# Attempts during a lockout are refused without being counted, so it ends when the page says.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_USERNAME_CALLABLE = "accounts.lockout.login_identity"
AXES_CLIENT_IP_CALLABLE = "accounts.lockout.client_address"
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
# The lockout needs the failures only; a row per successful login would be personal data kept
# for nothing.
AXES_DISABLE_ACCESS_LOG = True

# API tokens: knox keeps a SHA-512 digest of each, never the token itself.
REST_KNOX = {
    "TOKEN_TTL": timedelta(days=env_int("API_TOKEN_TTL_DAYS", 30, minimum=1)),
    "TOKEN_LIMIT_PER_USER": env_int("API_TOKEN_LIMIT", 10, minimum=1),
    "AUTO_REFRESH": False,
}

_EMAIL_SCHEMES = {
    # scheme: (default port, STARTTLS, TLS from the first byte)
    "smtp": (25, False, False),
    "smtp+tls": (587, True, False),
    "smtp+ssl": (465, False, True),
}


def email_settings(raw: str | None) -> dict[str, object]:
    """Django's e-mail settings from a URL such as `smtp+tls://user:password@host:587`.

    Unset or empty, or `console://`, mail is printed on the console. The user and password are
    percent-encoded, as in any URL. Error messages never repeat the URL: it holds a password.
    """
    console = {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    if not raw or not raw.strip():
        return console
    url = urlsplit(raw.strip())
    scheme = url.scheme.lower()
    if scheme == "console":
        return console
    usage = "EMAIL_URL must look like smtp+tls://user:password@host:587"
    if scheme not in _EMAIL_SCHEMES:
        raise ImproperlyConfigured(
            f"{usage}; its scheme must be one of console, {', '.join(_EMAIL_SCHEMES)}."
        )
    if not url.hostname or url.path not in ("", "/") or url.query or url.fragment:
        raise ImproperlyConfigured(f"{usage}: a host, and nothing after it but a port.")
    try:
        port = url.port
    except ValueError:
        raise ImproperlyConfigured(f"{usage}; its port must be a number up to 65535.") from None
    default_port, starttls, tls = _EMAIL_SCHEMES[scheme]
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": url.hostname,
        "EMAIL_PORT": port or default_port,
        "EMAIL_HOST_USER": unquote(url.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(url.password or ""),
        "EMAIL_USE_TLS": starttls,
        "EMAIL_USE_SSL": tls,
    }


# EMAIL_BACKEND, EMAIL_HOST, EMAIL_PORT, …: one URL names them all.
globals().update(email_settings(os.environ.get("EMAIL_URL")))
# A worker waiting on a mail server that does not answer is a worker that serves nobody.
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10, minimum=1)
# Where readers reach the site: mail links to it (a mail has no request to build them from).
SITE_URL = env_site_url("DJANGO_SITE_URL", "http://127.0.0.1:8000")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Claimtrack <claimtrack@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Anyone may read the API from any web page; nothing but reads is offered across origins.
CORS_URLS_REGEX = r"^/api/.*$"
CORS_ALLOW_ALL_ORIGINS = True
CORS_ALLOW_METHODS = ["GET", "HEAD", "OPTIONS"]
CORS_ALLOW_HEADERS = [*default_cors_headers, "if-none-match", "if-modified-since"]
CORS_EXPOSE_HEADERS = ["ETag", "Last-Modified", "Retry-After"]

# Reverting from the admin's history page is part of the editors' job.
SIMPLE_HISTORY_REVERT_DISABLED = False
# A change reason carries a retraction reason, which may be longer than the default 100 chars.
SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True

# Everything at WARNING and above goes to stderr once (gunicorn and runserver both show it).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "WARNING")},
    "loggers": {"django": {"handlers": [], "propagate": True}},
}
