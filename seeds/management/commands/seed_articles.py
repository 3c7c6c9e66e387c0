import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from seeds.articles import ARTICLES_FILE, fingerprint


class Command(BaseCommand):
    help = (
        "Rebuild seeds/data/articles.json (paragraph and sentence counts, hashed 9-word shingles) from the "
        "article files; the articles themselves stay outside the repository."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", help="The folder holding the article .txt files (../shared/seeds).")

    def handle(self, *args, directory, **options):
        folder = Path(directory)
        articles = fingerprint(folder)
        if not articles:
            raise CommandError(f"No article (*.txt) in {folder}.")
        ARTICLES_FILE.write_text(json.dumps(articles, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        shingles = sum(len(a["shingles"]) for a in articles.values())
        self.stdout.write(f"Wrote {ARTICLES_FILE.name}: {len(articles)} articles, {shingles} shingle hashes.")
