# The Recipients page's plans (issue 17): the filter the issue measured (one study, a status,
# sent before a date, sorted by sent) is one range of a (study, status, sent_at, id) index,
# which also serves every (study, status) look-up of the index it replaces; and extended
# statistics tell the planner that organization, study, budget and status are not independent
# (it took (organization, study) as independent, chose a parallel hash join and sorted on
# disk). Built CONCURRENTLY: a large table keeps taking writes meanwhile.

from django.contrib.postgres.operations import AddIndexConcurrently, RemoveIndexConcurrently
from django.db import migrations, models

STATISTICS = "incentive_org_study_budget_status"


class Migration(migrations.Migration):

    atomic = False

    dependencies = [
        ('incentives', '0005_w9_submission'),  # one line of history
    ]

    operations = [
        AddIndexConcurrently(
            model_name='incentive',
            index=models.Index(fields=['study', 'status', 'sent_at', 'id'], name='incentive_study_status_sent'),
        ),
        RemoveIndexConcurrently(model_name='incentive', name='incentives__study_i_47940f_idx'),
        migrations.RunSQL(
            f"CREATE STATISTICS IF NOT EXISTS {STATISTICS} (ndistinct, dependencies, mcv) "
            "ON organization_id, study_id, budget_id, status FROM incentives_incentive",
            f"DROP STATISTICS IF EXISTS {STATISTICS}",
        ),
        # The statistics are empty until the table is analysed (a sample: seconds at any size).
        migrations.RunSQL("ANALYZE incentives_incentive", migrations.RunSQL.noop),
    ]
