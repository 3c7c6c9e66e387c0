"""Organization moves from the reports app to this one, table and rows unchanged.

State only: the table keeps its name (reports_organization) and its constraint, and the rows
stay where they are. Its content type follows, so the permissions granted on it stay granted.
"""

import django.db.models.deletion
import evactrack.kernel.db
from django.db import migrations, models


def _relabel(apps, old, new):
    ContentType = apps.get_model("contenttypes", "ContentType")
    if not ContentType.objects.filter(app_label=new, model="organization").exists():
        ContentType.objects.filter(app_label=old, model="organization").update(app_label=new)


def content_type_to_api(apps, schema_editor):
    _relabel(apps, "reports", "api")


def content_type_to_reports(apps, schema_editor):
    _relabel(apps, "api", "reports")


class Migration(migrations.Migration):

    dependencies = [
        ('api', '0003_drop_committed_in_flight_keys'),
        ('reports', '0007_dirty_mark_version_and_recompute_request'),
        ('contenttypes', '0002_remove_content_type_name'),
    ]

    operations = [
        migrations.RunPython(content_type_to_api, content_type_to_reports),
        migrations.SeparateDatabaseAndState(state_operations=[
        migrations.CreateModel(
            name='Organization',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=200, unique=True, verbose_name='name')),
                ('slug', models.SlugField(max_length=64, unique=True, verbose_name='slug')),
                ('kind', models.CharField(choices=[('ngo', 'non-governmental organization'), ('un', 'UN agency'), ('government', 'government body'), ('media', 'media'), ('other', 'other')], max_length=16, verbose_name='kind')),
            ],
            options={
                'verbose_name': 'organization',
                'verbose_name_plural': 'organizations',
                'db_table': 'reports_organization',
                'ordering': ['name'],
                'constraints': [evactrack.kernel.db.FieldCheckConstraint(condition=models.Q(('kind__in', ['ngo', 'un', 'government', 'media', 'other'])), field='kind', name='reports_organization_kind_valid', violation_error_message='Not one of the allowed values.')],
            },
        ),
        migrations.AlterField(
            model_name='membership',
            name='organization',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='memberships', to='api.organization', verbose_name='organization'),
        ),
        ]),
    ]
