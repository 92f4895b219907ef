import os

from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()


def _refuse_without_collected_static() -> None:
    """In production every page names its static files through collectstatic's manifest: without
    it each page would answer 500, so the server refuses to start and says what to do."""
    from django.conf import settings

    manifest = "Manifest" in settings.STORAGES["staticfiles"]["BACKEND"]  # DEBUG off when settings loaded
    if manifest and not (settings.STATIC_ROOT / "staticfiles.json").exists():
        raise ImproperlyConfigured(
            f"Static files are not collected in {settings.STATIC_ROOT}: run "
            "`python manage.py collectstatic --noinput` first, or start the web process with "
            "`python manage.py serve`, which does."
        )


_refuse_without_collected_static()
