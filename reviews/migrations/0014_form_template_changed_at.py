import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("reviews", "0013_review_tally"),
    ]

    operations = [
        migrations.AddField(
            model_name="formtemplate",
            name="changed_at",
            field=models.DateTimeField(
                auto_now=True,
                default=django.utils.timezone.now,
                verbose_name="changed at",
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="historicalformtemplate",
            name="changed_at",
            field=models.DateTimeField(
                blank=True,
                default=django.utils.timezone.now,
                editable=False,
                verbose_name="changed at",
            ),
            preserve_default=False,
        ),
    ]
