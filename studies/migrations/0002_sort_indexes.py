# Participants by name within an organization: people lists, and the Recipients table sorted
# by participant (its query repeats the organization on the participant to use this).

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):

    atomic = False

    dependencies = [
        ('studies', '0001_initial'),
    ]

    operations = [
        AddIndexConcurrently(
            model_name='participant',
            index=models.Index(fields=['organization', 'name'], name='participant_org_name'),
        ),
    ]
