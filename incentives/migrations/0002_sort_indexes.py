# Indexes for the Recipients table's sortable columns, (organization, column, id) as the table
# orders them, so a sorted page on a million rows is an index walk. Built CONCURRENTLY: a
# large table keeps taking writes while they build.

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):

    atomic = False

    dependencies = [
        ('incentives', '0001_initial'),
    ]

    operations = [
        AddIndexConcurrently(
            model_name='incentive',
            index=models.Index(fields=['organization', 'amount_minor', 'id'], name='incentive_sort_amount'),
        ),
        AddIndexConcurrently(
            model_name='incentive',
            index=models.Index(fields=['organization', 'status', 'id'], name='incentive_sort_status'),
        ),
        AddIndexConcurrently(
            model_name='incentive',
            index=models.Index(fields=['organization', 'reminder_count', 'id'], name='incentive_sort_reminders'),
        ),
        AddIndexConcurrently(
            model_name='incentive',
            index=models.Index(fields=['organization', 'last_reminded_at', 'id'], name='incentive_sort_reminded'),
        ),
        AddIndexConcurrently(
            model_name='incentive',
            index=models.Index(fields=['organization', 'claimed_at', 'id'], name='incentive_sort_claimed'),
        ),
        AddIndexConcurrently(
            model_name='incentive',
            index=models.Index(fields=['organization', 'cancelled_at', 'id'], name='incentive_sort_cancelled'),
        ),
    ]
