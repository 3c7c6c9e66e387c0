from django.core.management.base import BaseCommand

from seeds.catalogue import README, facts_table, readme_with_table


class Command(BaseCommand):
    help = "Rewrite the table of every seeded fact in seeds/README.md from the seed file."

    def handle(self, *args, **options):
        table = facts_table()
        README.write_text(readme_with_table(README.read_text(encoding="utf-8"), table), encoding="utf-8")
        self.stdout.write(f"Wrote {table.count(chr(10)) - 1} rows to {README}.")
