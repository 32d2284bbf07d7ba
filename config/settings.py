"""Huitang settings.

Everything that differs between a laptop demo and a congress hall comes from the environment:

  HUITANG_ENV            "development" (default) or "production"
  HUITANG_SECRET_KEY     required in production; in development a per-machine key is kept in var/
  HUITANG_DEBUG          "1" to turn DEBUG on (default on in development, refused in production)
  HUITANG_ALLOWED_HOSTS  comma-separated host names
  HUITANG_CSRF_TRUSTED_ORIGINS  comma-separated origins, e.g. https://hall.example.gov.cn
  DATABASE_URL           e.g. postgres://huitang@db/huitang (default: SQLite in var/)
  REDIS_URL              e.g. redis://127.0.0.1:6379/0 enables cross-process event fan-out
  HUITANG_DEMO           "1" allows demo shortcuts (demo device pairing without a console code);
                         off in production
"""

from pathlib import Path
import os
import secrets

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("HUITANG_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)

ENV = os.environ.get("HUITANG_ENV", "development")
PRODUCTION = ENV == "production"


def _flag(name, default):
    return os.environ.get(name, "1" if default else "0").lower() in ("1", "true", "yes", "on")


def _dev_secret_key():
    # A development key is made once per machine, never committed.
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


DEBUG = _flag("HUITANG_DEBUG", not PRODUCTION)
SECRET_KEY = os.environ.get("HUITANG_SECRET_KEY") or ("" if PRODUCTION else _dev_secret_key())
DEMO = _flag("HUITANG_DEMO", not PRODUCTION)

if PRODUCTION:
    if not SECRET_KEY or len(SECRET_KEY) < 32 or SECRET_KEY.startswith("django-insecure"):
        raise ImproperlyConfigured(
            "HUITANG_ENV=production needs HUITANG_SECRET_KEY set to a random value of 32+ characters."
        )
    if DEBUG:
        raise ImproperlyConfigured("HUITANG_ENV=production refuses to start with HUITANG_DEBUG on.")
    if DEMO:
        raise ImproperlyConfigured("HUITANG_ENV=production refuses to start with HUITANG_DEMO on.")

ALLOWED_HOSTS = [h for h in os.environ.get("HUITANG_ALLOWED_HOSTS", "").split(",") if h]
if not ALLOWED_HOSTS and not PRODUCTION:
    ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("HUITANG_CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "meeting",
    "signin",
    "voting",
    "docs_viewer",
    "devices",
    "consoles",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "config.middleware.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = None
ASGI_APPLICATION = "config.asgi.application"

# SQLite by default: WAL so readers never block the writer, synchronous=FULL so an
# acknowledged commit survives a power cut, IMMEDIATE so a write transaction takes the
# lock at BEGIN (no deadlock-prone upgrade from a read lock).
_sqlite_path = Path(os.environ.get("HUITANG_SQLITE_PATH", VAR_DIR / "huitang.sqlite3"))
DATABASES = {
    "default": dj_database_url.config(
        env="DATABASE_URL", default=f"sqlite:///{_sqlite_path}",
        # Keep connections: opening one per socket message cost a tenth of the server's time when
        # 3,000 tablets connect at once.
        conn_max_age=int(os.environ.get("HUITANG_CONN_MAX_AGE", "600")), conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=10000;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }

REDIS_URL = os.environ.get("REDIS_URL", "")

# No channel layer: hall-wide fan-out goes through meeting.realtime's hub, not group_send.
CHANNEL_LAYERS = {}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("HUITANG_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_ROOT = VAR_DIR / "media"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LOGIN_URL = "consoles:login"
LOGIN_REDIRECT_URL = "consoles:home"

# Largest upload the admin import accepts; rosters of a few thousand rows are far below this.
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
HUITANG_IMPORT_MAX_BYTES = 5 * 1024 * 1024
# Largest WebSocket message a client may send; anything bigger is refused unread.
HUITANG_WS_MAX_MESSAGE = 16 * 1024

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("HUITANG_LOG_LEVEL", "INFO")},
    "loggers": {"django.channels.server": {"level": "WARNING"}},
}
