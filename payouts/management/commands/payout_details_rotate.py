from django.core.management.base import BaseCommand
from django.db import transaction

from core.crypto import rotate
from incentives.models import Incentive


class Command(BaseCommand):
    help = "Seal every stored payout detail again under the newest key of PAYOUT_DETAILS_KEYS (key rotation)."

    def handle(self, *args, **options):
        count = 0
        sealed = Incentive.objects.exclude(payout_details_sealed="").order_by("pk")
        for pk in sealed.values_list("pk", flat=True).iterator():
            with transaction.atomic():
                row = Incentive.objects.select_for_update().only("payout_details_sealed").get(pk=pk)
                if row.payout_details_sealed:
                    Incentive.objects.filter(pk=pk).update(payout_details_sealed=rotate(row.payout_details_sealed))
                    count += 1
        self.stdout.write(f"Sealed {count} payout details under the newest key.")
