from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("offers", "0003_recipient_loop_and_reversals")]

    operations = [
        migrations.AddField(
            model_name="offermember",
            name="language",
            field=models.CharField(blank=True, max_length=16, null=True),
        ),
    ]
