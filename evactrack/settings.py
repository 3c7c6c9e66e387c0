"""Settings for evactrack: one module, every deployment difference comes from the environment.

Defaults are the embedded mode (SQLite, Celery over the filesystem), so a fresh clone runs
with nothing configured; production sets DATABASE_URL, REDIS_URL, SECRET_KEY, DEBUG=0.
"""

import datetime
import importlib.util
import os
import secrets
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A local .env file is optional; the environment always wins over it.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# Runtime state (SQLite file, Celery's filesystem queue, uploads) lives outside the source tree.
VAR_DIR = Path(env.str("EVACTRACK_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env.bool("DJANGO_DEBUG", default=False)


def _secret_key_from_var_dir() -> str:
    """Without DJANGO_SECRET_KEY, every process on this machine shares one random key kept in
    the data folder (readable by the owner only), so the embedded mode needs no configuration
    and never signs sessions with a key published in the source."""
    path = VAR_DIR / "secret_key"
    if not path.exists():
        draft = VAR_DIR / f"secret_key.{os.getpid()}"
        draft.write_text(secrets.token_urlsafe(50))
        draft.chmod(0o600)
        try:
            os.link(draft, path)  # atomic: when two processes start at once, the first key wins
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_text().strip()


SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="") or _secret_key_from_var_dir()
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    # Django's admin with our site: the dashboard and our name.
    "evactrack.admin_apps.EvactrackAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    # OpenAPI 3 schema of the partner API at /api/schema/.
    "drf_spectacular",
    # Swagger UI's files served from our own static files, so the docs work offline.
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "simple_history",
    # Login lockout after repeated failures.
    "axes",
    # The project package is an app too: its management commands and templates.
    "evactrack",
    "locations",
    "reports",
    "evactrack.status",
    "evactrack.access",
    "seeds",
    "benchmarks",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Serves collected static files (admin, Swagger UI, Leaflet) from gunicorn: no CDN, no extra server.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # A chunked body (no Content-Length) is read within the body limit before anything parses it
    # (CSRF reads forms); after CommonMiddleware, which gives its refusals a Content-Length.
    "evactrack.kernel.api.middleware.ChunkedBodyMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Records the request's user on admin edits so history says who changed what.
    "simple_history.middleware.HistoryRequestMiddleware",
    # Errors of plain Django views under /api/ (the catch-all 404) in the API's error shape.
    "evactrack.kernel.api.middleware.ApiExceptionMiddleware",
    # Last, as django-axes asks: turns a locked-out login into a 429 page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "evactrack.urls"
WSGI_APPLICATION = "evactrack.wsgi.application"
ASGI_APPLICATION = "evactrack.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "evactrack" / "templates"],
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

# --- Database -------------------------------------------------------------------------
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'evactrack.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets the web server read while the Celery worker writes; IMMEDIATE takes the
        # write lock at BEGIN so concurrent writers queue instead of failing mid-transaction.
        # cache_size: SQLite keeps 2 MB of pages per connection by default, less than one page
        # of incidents under an oblast reads at 1,000,000 incidents, so that page would read its
        # pages from the operating system again on every request (docs/BENCHMARKS.md).
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
        f"PRAGMA cache_size=-{env.int('EVACTRACK_SQLITE_CACHE_MB', default=32) * 1024};",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
else:
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Keep a connection per worker for a minute. On SQLite too: opening one per request, reading
# the schema again and preparing every statement anew is a measurable share of each request
# (docs/BENCHMARKS.md).
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=60))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and broker ---------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            # Only throttle counters live here: a Redis that is down or unreachable must cost a
            # request (and /health/) a fraction of a second, not a hung connect.
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Auth -------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "admin:login"
# django-axes checks and counts every login before the real backend runs.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
# Five wrong passwords lock that username from that address for an hour; a success resets the count.
AXES_FAILURE_LIMIT = env.int("EVACTRACK_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("EVACTRACK_LOGIN_COOLOFF_HOURS", default=1.0)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# The client address comes from X-Forwarded-For only behind this many trusted proxies; a client
# could otherwise forge the header to dodge the lockout (or lock someone else out).
EVACTRACK_TRUSTED_PROXY_COUNT = env.int("EVACTRACK_TRUSTED_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "evactrack.kernel.security.client_ip"

# --- Internationalisation -------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("uk", "Українська")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Dates of incidents and orders are Ukrainian calendar dates: "today" means today in Kyiv.
TIME_ZONE = env.str("EVACTRACK_TIME_ZONE", default="Europe/Kyiv")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
# Leaflet's JavaScript and CSS for the dashboard map come from the django-leaflet package and are
# served as our own static files: no CDN. Its app is not installed: its admin module needs GDAL.
STATICFILES_DIRS = [Path(importlib.util.find_spec("leaflet").submodule_search_locations[0]) / "static"]
# WhiteNoise warns on every request while the folder is missing (tests never collect static).
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Compressed, without a manifest: a template never fails on a file collectstatic has not seen.
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
MEDIA_ROOT = VAR_DIR / "media"

# Uploads larger than this are refused with 413 instead of being read into memory.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("EVACTRACK_MAX_BODY_BYTES", default=5 * 1024 * 1024)

# --- Security headers that matter once DEBUG is off --------------------------------------
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
if env.bool("DJANGO_SECURE_PROXY_SSL", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# --- Django REST framework ----------------------------------------------------------------
REST_FRAMEWORK = {
    # Nothing is public by default: every endpoint needs an authenticated user.
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # Partner systems send hashed, expiring tokens; staff use their admin session.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "evactrack.access.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
        # Authenticates nobody: counts requests no class above recognized against their
        # address (DRF throttles run only after the permission check has refused them).
        "evactrack.access.throttling.AnonymousRequestThrottle",
    ],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    # orjson renders lists several times faster than the stdlib encoder; HTML for staff browsing.
    "DEFAULT_RENDERER_CLASSES": [
        "evactrack.kernel.api.renderers.FastJSONRenderer",
        "evactrack.kernel.api.renderers.BrowsableAPIRenderer",
    ],
    # The API takes JSON only: forms and multipart would bypass the size and type checks (415).
    # orjson, with a depth limit: a deeply nested body is a 400, not a RecursionError.
    "DEFAULT_PARSER_CLASSES": ["evactrack.kernel.api.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "evactrack.kernel.api.pagination.CursorPagination",
    # One error shape for every failure, Django ValidationErrors from the services included.
    "EXCEPTION_HANDLER": "evactrack.kernel.api.exceptions.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "evactrack.kernel.api.schema.AutoSchema",
    # Abuse control per client (token or session user), not security.
    "DEFAULT_THROTTLE_CLASSES": ["evactrack.access.throttling.ClientRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "client": env.str("EVACTRACK_API_RATE", default="1200/minute"),
        # Per address, for requests without valid credentials (anonymous or a bad token).
        "anonymous": env.str("EVACTRACK_API_ANON_RATE", default="60/minute"),
    },
    # Our filter is `format`: DRF's own ?format= would hijack it for renderers.
    "URL_FORMAT_OVERRIDE": None,
    # Fields hand times to the renderer as datetimes, which writes each one in UTC as
    # `2023-08-10T07:15:00.000000Z` (evactrack.kernel.api.columns.datetime_text): DRF's own format
    # would give Kyiv's offset, and a list row written by the database never has one.
    "DATETIME_FORMAT": None,
}
# How long a stored Idempotency-Key response is replayed; after that the key may be reused.
EVACTRACK_IDEMPOTENCY_TTL_HOURS = env.int("EVACTRACK_IDEMPOTENCY_TTL_HOURS", default=24)
# Change-feed entries older than this many days are pruned (reports.prune_changes, daily); a
# client that stopped syncing longer ago gets 410 and does a full read (README, "Sync").
EVACTRACK_CHANGES_RETENTION_DAYS = env.int("EVACTRACK_CHANGES_RETENTION_DAYS", default=90)
# Tokens expire by default a year after issue, so a forgotten client stops working.
EVACTRACK_TOKEN_DEFAULT_DAYS = env.int("EVACTRACK_TOKEN_DEFAULT_DAYS", default=365)
# A child count under this is withheld from roles without sensitive access: small numbers
# identify families.
EVACTRACK_SMALL_CHILD_COUNT = env.int("EVACTRACK_SMALL_CHILD_COUNT", default=20)
# No fact or source is dated before this (ISO date): the war began in 2014, and an earlier date
# is a typo (0001-01-01) rather than history.
EVACTRACK_EARLIEST_FACT_DATE = datetime.date.fromisoformat(
    env.str("EVACTRACK_EARLIEST_FACT_DATE", default="2014-01-01")
)
SPECTACULAR_SETTINGS = {
    "TITLE": "evactrack partner API",
    "DESCRIPTION": "Areas, incidents, evacuation orders and population counts for partner systems.",
    "VERSION": "1.0.0",
    # The schema is behind authentication like everything else.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI from drf-spectacular-sidecar's static files: no CDN, works offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Cursor pagination and choices get stable component names partners can generate code from.
    "COMPONENT_SPLIT_REQUEST": True,
    # Figures and dates share these choice sets; one component each instead of one per field.
    "ENUM_NAME_OVERRIDES": {
        "Qualifier": "evactrack.kernel.db.Qualifier",
        "DatePrecision": "evactrack.kernel.db.DatePrecision",
    },
}

# --- Celery ------------------------------------------------------------------------------
# Without Redis the broker is a folder: the embedded mode needs no extra server.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://localhost/")
CELERY_QUEUE_DIR = VAR_DIR / "celery-queue"
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_QUEUE_DIR.mkdir(exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_QUEUE_DIR),
        "data_folder_out": str(CELERY_QUEUE_DIR),
        "processed_folder": str(VAR_DIR / "celery-processed"),
        # Without this kombu writes its control files into the current directory.
        "control_folder": str(VAR_DIR / "celery-control"),
        "store_processed": False,
        # A worker looks at the folder this often when it finds nothing to take, and after each
        # task (kombu's default is 1 s): writes enqueue one recompute at most, served within it.
        "polling_interval": env.float("CELERY_BROKER_POLLING_INTERVAL", default=0.2),
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # A write must not hang when the broker is down: fail fast, the periodic sweep catches up.
        "max_retries": 1,
        "socket_connect_timeout": 2,
        "socket_timeout": 5,
        # Longer than the hard time limit, so a late-acked task is not redelivered while it runs.
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
        # How often a worker looks for messages of a dead worker to redeliver; the
        # worker tests lower both so a SIGKILLed task comes back within seconds.
        "unacked_restore_interval": env.int("CELERY_UNACKED_RESTORE_INTERVAL", default=10),
        "unacked_restore_throttle": env.int("CELERY_UNACKED_RESTORE_THROTTLE", default=10),
    }
# Tasks write their results to the database; nothing reads Celery results.
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# Ack after the task ran, and requeue if the worker died, so a crash never loses a recompute.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# One task at a time per worker process: recomputes are long and must not be hoarded.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A runaway recompute is stopped rather than left to block the queue.
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=300)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=360)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
# Schedules live in the database so staff can edit them in the admin.
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"

# --- Logging ---------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # axes announces its configuration at every start of every command: not worth a line.
    "loggers": {"django.db.backends": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}
