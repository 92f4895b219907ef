from django.core.management.base import BaseCommand

from core.i18n import compile_catalogues


class Command(BaseCommand):
    help = "Compile the translation catalogues (.po -> .mo) with Babel; GNU gettext is not needed (docs/i18n.md)."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Compile every catalogue, even those up to date.")

    def handle(self, *args, force=False, **options):
        written = compile_catalogues(force=force)
        self.stdout.write(f"Compiled {len(written)} catalogue(s)." if written else "Catalogues are up to date.")
