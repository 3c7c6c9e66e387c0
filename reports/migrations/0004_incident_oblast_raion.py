import django.db.models.deletion
from django.db import migrations, models


def locate_incidents(apps, schema_editor):
    """Set every incident's oblast and raion: for each area at those levels, the incidents
    whose area lies at or under it. Written here rather than imported from the services, which
    may change after this migration."""
    Area = apps.get_model("locations", "Area")
    Incident = apps.get_model("reports", "Incident")
    for level, column in (("oblast", "oblast_id"), ("raion", "raion_id")):
        for area_id, path in Area.objects.filter(level=level).values_list("id", "path"):
            Incident.objects.filter(area__path__startswith=path).update(**{column: area_id})


class Migration(migrations.Migration):
    dependencies = [
        ("locations", "0003_area_level_code_index"),
        ("reports", "0003_incident_review_queue_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="incident",
            name="oblast",
            field=models.ForeignKey(
                blank=True, db_index=False, editable=False, null=True,
                on_delete=django.db.models.deletion.PROTECT, related_name="+", to="locations.area",
                verbose_name="oblast",
            ),
        ),
        migrations.AddField(
            model_name="incident",
            name="raion",
            field=models.ForeignKey(
                blank=True, db_index=False, editable=False, null=True,
                on_delete=django.db.models.deletion.PROTECT, related_name="+", to="locations.area",
                verbose_name="raion",
            ),
        ),
        # Before the indexes: one index build is cheaper than keeping them through the updates.
        migrations.RunPython(locate_incidents, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="incident",
            index=models.Index(fields=["oblast", "id"], name="reports_incident_oblast"),
        ),
        migrations.AddIndex(
            model_name="incident",
            index=models.Index(fields=["raion", "id"], name="reports_incident_raion"),
        ),
    ]
