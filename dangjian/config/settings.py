"""Settings for Dangjian: one module, driven by environment variables.

SQLite is the default so that `make run` works on a fresh clone; PostgreSQL is used when
DATABASE_URL is set. DJANGO_ENV=production switches on the secure defaults and requires the
secrets to come from the environment.
"""

import base64
import hashlib
import os
from pathlib import Path
from typing import Any, overload

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
REPO_DIR = BASE_DIR.parent


@overload
def env(name: str, default: str) -> str: ...
@overload
def env(name: str, default: None = None) -> str | None: ...
def env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DJANGO_ENV = env("DJANGO_ENV", "development")
PRODUCTION = DJANGO_ENV == "production"

if PRODUCTION:
    SECRET_KEY = env("SECRET_KEY") or ""
    if len(SECRET_KEY) < 50:
        raise ImproperlyConfigured("SECRET_KEY must be set to a random string of at least 50 characters.")
else:
    SECRET_KEY = env("SECRET_KEY", "dev-insecure-3q9v!dangjian-development-key-not-for-production-use")

DEBUG = env_bool("DEBUG", default=not PRODUCTION)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "template_partials",
    "django_tasks",
    "django_tasks_db",
    "axes",
    "dangjian.core",
    "dangjian.accounts",
    "dangjian.orgs",
    "dangjian.phrases",
    "dangjian.people",
    "dangjian.membership",
    "dangjian.servicedesk",
    "dangjian.activities",
    "dangjian.volunteering",
    "dangjian.api",
    "dangjian.evaluation",
    "dangjian.dashboard",
    "dangjian.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Pages compressed (the rates page: 45 KB → 7 KB), files not (core/middleware.py). Django's GZip pads each response with
    # random bytes against BREACH, and CSRF tokens are masked per response; static files come
    # compressed from WhiteNoise instead.
    "dangjian.core.middleware.PageGZipMiddleware",
    "dangjian.core.middleware.NoStoreMiddleware",
    "dangjian.core.middleware.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # zh-Hans unless the visitor chose English (the language cookie), whatever the browser asks
    "dangjian.core.middleware.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "dangjian.core.middleware.RefuseNulMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.actor: who acts (core/actors.py), built on first use.
    "dangjian.core.actors.ActorMiddleware",
    # Roles that must use two-factor login (core/conf.py TWO_FACTOR_ROLES) set it up first.
    "dangjian.accounts.middleware.TwoFactorRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "dangjian.config.urls"
WSGI_APPLICATION = "dangjian.config.wsgi.application"
ASGI_APPLICATION = "dangjian.config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "dangjian.core.context_processors.ui",
                "dangjian.dashboard.context_processors.menu",
            ],
        },
    }
]
# Selects and inputs drawn in Python: the templates' HTML at a fraction of the time (core/widgets.py).
FORM_RENDERER = "dangjian.core.widgets.Renderer"

# --- Database -------------------------------------------------------------------------------
SQLITE_PATH = Path(env("SQLITE_PATH", str(REPO_DIR / "var" / "dangjian.sqlite3")))
DATABASE_URL = env("DATABASE_URL")
# IMMEDIATE takes the write lock at BEGIN, so two writers queue instead of failing half-way with
# "database is locked"; WAL lets readers go on meanwhile, and a writer waits up to 20 s for the
# lock. (A connection reading through an open cursor still cannot write once another has written:
# background jobs cope with that, core/jobs.py.) core/tests/test_job_resilience.py uses these.
SQLITE_OPTIONS: dict[str, Any] = {
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
    "init_command": (
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=20000;"
    ),
}
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
else:
    SQLITE_PATH.parent.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(SQLITE_PATH),
            "OPTIONS": SQLITE_OPTIONS,
            "TEST": {"NAME": env("SQLITE_TEST_PATH") or None},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# PostgreSQL's JIT compilation, per connection: off unless PG_JIT=on (core/apps.py sends SET jit = off
# when a connection opens — a statement, not a startup option, so that PgBouncer and other poolers
# that refuse unknown startup options keep working). JIT cost the audit log 150 ms compiling a query
# that ran in 35 ms (docs/performance.md).
PG_JIT = env_bool("PG_JIT")

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
REDIS_URL = env("REDIS_URL")
if PRODUCTION and not REDIS_URL and not env_bool("SINGLE_PROCESS"):
    # Rate limits, login lockout and the workbench's cached figures live in the cache: without a
    # shared one, each worker process keeps its own and the limits multiply by the workers.
    raise ImproperlyConfigured(
        "REDIS_URL must be set in production (rate limits and login lockout are per process without "
        "it); set SINGLE_PROCESS=1 only if the site really runs as one process."
    )
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}

# --- Background tasks (django-tasks; the same API as Django 6's django.tasks) ----------------
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# --- Authentication and sessions ------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "dashboard:workbench"
LOGOUT_REDIRECT_URL = "accounts:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "dangjian.accounts.validators.CharacterClassValidator"},
]
PASSWORD_HASHERS = env_list("PASSWORD_HASHERS") or [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
]
SESSION_COOKIE_AGE = int(env("SESSION_COOKIE_AGE", str(8 * 3600)))  # a working day
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True

# django-axes: lock a username/IP pair after repeated failures.
AXES_FAILURE_LIMIT = int(env("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(env("AXES_COOLOFF_HOURS", "0.25"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
# The client's address as everything else sees it (REMOTE_ADDR, or behind PROXY_COUNT trusted
# proxies the address the nearest one added): one rule, core.actors.client_ip. Lockout counts per
# (username, address), so a stranger's failures do not lock the user out everywhere.
AXES_CLIENT_IP_CALLABLE = "dangjian.core.actors.client_ip"


# --- Privacy: encryption of ID and phone numbers --------------------------------------------
# FIELD_ENCRYPTION_KEYS: comma-separated Fernet keys, newest first (older keys still decrypt, so
# keys can be rotated). SEARCH_HASH_KEY: the HMAC key for exact-match lookups. Both are derived
# from SECRET_KEY in development and must be set explicitly in production.
def _derived_key(label: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(f"{label}:{SECRET_KEY}".encode()).digest()).decode()


if PRODUCTION:
    FIELD_ENCRYPTION_KEYS = env_list("FIELD_ENCRYPTION_KEYS")
    SEARCH_HASH_KEY = env("SEARCH_HASH_KEY") or ""
    if not FIELD_ENCRYPTION_KEYS or not SEARCH_HASH_KEY:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS and SEARCH_HASH_KEY must be set in production.")
else:
    FIELD_ENCRYPTION_KEYS = env_list("FIELD_ENCRYPTION_KEYS") or [_derived_key("field-encryption")]
    SEARCH_HASH_KEY = env("SEARCH_HASH_KEY") or _derived_key("search-hash")

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [REPO_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
LANGUAGE_COOKIE_SECURE = PRODUCTION
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env("STATIC_ROOT", str(REPO_DIR / "var" / "static")))
STATICFILES_DIRS = [BASE_DIR / "static"]
if not PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns when it is missing
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(REPO_DIR / "var" / "media")))
MEDIA_URL = "/media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# --- Security (production) ------------------------------------------------------------------
X_FRAME_OPTIONS = "DENY"
# Scripts only from our own files (no inline script or handler attribute anywhere: static/js/);
# styles may be inline (style="" attributes in the templates; CSS cannot run code). Charts draw
# on canvas; QR codes are inline SVG; uploaded photos are served by us.
CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self' 'unsafe-inline'",
    "img-src": "'self' data: blob:",
    "font-src": "'self' data:",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
_proxy_count = 0  # trusted reverse proxies in front (AXES_PROXY_COUNT in production)
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(env("SECURE_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    # Reverse proxies in front (nginx: 1). The same count serves the lockout, the submission
    # rate limits and the addresses in the history (core.actors.client_ip).
    _proxy_count = int(env("AXES_PROXY_COUNT") or "0")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {"redact_secrets": {"()": "dangjian.core.logs.RedactSecrets"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact_secrets"]}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        # the development server's request lines, through the same filter (by default Django
        # gives them a handler of their own)
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}

# --- Domain configuration (DESIGN.md §5; each number has its default here) -----------------
# What a locality may change; every key, its default, unit and rule: dangjian/core/conf.py and
# docs/configuration.md. Keys not given here take their defaults there.
DANGJIAN: dict[str, Any] = {
    "TERM_REMINDER_DAYS": int(env("TERM_REMINDER_DAYS", "90")),
    "PROBATION_REMINDER_DAYS": int(env("PROBATION_REMINDER_DAYS", "30")),
    "FIGURES_CACHE_SECONDS": int(env("FIGURES_CACHE_SECONDS", "120")),
    "PROXY_COUNT": _proxy_count,
    # Comma-separated; empty turns the requirement off (the demo does: `make run`).
    "TWO_FACTOR_ROLES": tuple(env_list("TWO_FACTOR_ROLES", "district_admin")),
}
if env("DANGJIAN_PDF_FONT"):
    DANGJIAN["PDF_FONT"] = env("DANGJIAN_PDF_FONT")

UI_BRAND = _("Community Party Building Platform")

# The covering index person_member_facts_idx (people/models.py) carries INCLUDE columns that
# only PostgreSQL uses; SQLite creates the plain index and Django warns (models.W040) about it.
SILENCED_SYSTEM_CHECKS = ["models.W040"]
