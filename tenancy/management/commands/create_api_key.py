from django.core.management.base import BaseCommand, CommandError

from tenancy.models import Organization
from tenancy.services import api_key_create


class Command(BaseCommand):
    help = "Create an API key for an organization (by slug) and print it once."

    def add_arguments(self, parser):
        parser.add_argument("organization", help="the organization's slug, e.g. acme")
        parser.add_argument("--name", default="Command line")

    def handle(self, *args, organization, name, **options):
        org = Organization.objects.filter(slug=organization).first()
        if org is None:
            raise CommandError(f"No organization with slug “{organization}”.")
        key, raw = api_key_create(organization=org, name=name, actor=None)
        self.stdout.write(raw)
