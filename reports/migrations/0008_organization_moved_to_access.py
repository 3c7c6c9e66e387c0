"""Organization now lives in the access app (label api): state only, see api 0004."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('api', '0004_organization_from_reports'),
        ('reports', '0007_dirty_mark_version_and_recompute_request'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[
        migrations.AlterField(
            model_name='historicalincident',
            name='reporting_organization',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='api.organization', verbose_name='reporting organization'),
        ),
        migrations.AlterField(
            model_name='incident',
            name='reporting_organization',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='incidents', to='api.organization', verbose_name='reporting organization'),
        ),
        migrations.AlterField(
            model_name='tombstone',
            name='organization',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, to='api.organization', verbose_name='reporting organization'),
        ),
        migrations.DeleteModel(
            name='Organization',
        ),
        ]),
    ]
