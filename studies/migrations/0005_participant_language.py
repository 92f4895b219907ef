from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("studies", "0004_sessions")]

    operations = [
        migrations.AddField(
            model_name="participant",
            name="language",
            field=models.CharField(blank=True, max_length=16, null=True),
        ),
    ]
