"""Claims commit only with their response now, so a record committed in flight was left by a
request that died before answering. No request takes such a key over any more; it would refuse
the key (409) until it expires. Forget those records, so the client's retry runs."""

from django.db import migrations


def forget_in_flight_keys(apps, schema_editor):
    apps.get_model("api", "IdempotencyRecord").objects.filter(state="in_flight").delete()


class Migration(migrations.Migration):
    dependencies = [("api", "0002_purge_schedule")]

    operations = [migrations.RunPython(forget_in_flight_keys, migrations.RunPython.noop)]
