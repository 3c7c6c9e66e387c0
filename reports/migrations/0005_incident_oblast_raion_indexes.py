from django.db import migrations, models


class Migration(migrations.Migration):
    """The indexes come after the rows are filled, in a migration of their own. Built in the
    transaction that filled the columns of 1,000,000 incidents, PostgreSQL refused them
    ("pending trigger events"); and one index build is cheaper than keeping two through a
    million updates."""

    dependencies = [("reports", "0004_incident_oblast_raion")]

    operations = [
        migrations.AddIndex(
            model_name="incident",
            index=models.Index(fields=["oblast", "id"], name="reports_incident_oblast"),
        ),
        migrations.AddIndex(
            model_name="incident",
            index=models.Index(fields=["raion", "id"], name="reports_incident_raion"),
        ),
    ]
