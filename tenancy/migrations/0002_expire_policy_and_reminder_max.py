# The unclaimed-incentive policy expires (status "expired", as DESIGN.md names it) rather than
# cancels: the field is renamed, its values kept. Plus an optional cap on reminders.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('tenancy', '0001_initial'),
    ]

    operations = [
        migrations.RenameField(
            model_name='organization',
            old_name='unclaimed_cancel_after_days',
            new_name='unclaimed_expire_after_days',
        ),
        migrations.AlterField(
            model_name='organization',
            name='unclaimed_expire_after_days',
            field=models.PositiveIntegerField(blank=True, help_text='Incentives unclaimed this many days after sending expire and their money returns to the budget; empty: never.', null=True, verbose_name='expire unclaimed incentives after (days)'),
        ),
        migrations.AddField(
            model_name='organization',
            name='reminder_max',
            field=models.PositiveSmallIntegerField(blank=True, help_text='Automatic reminders stop once an incentive has had this many, resends by hand included; empty: one on each reminder day.', null=True, verbose_name='most reminders per incentive'),
        ),
    ]
