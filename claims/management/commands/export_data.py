"""`manage.py export_data PATH`: the whole database's content as JSON Lines (see claims.dump)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from claims.dump import dump_export, dump_summary

STDOUT = "-"


class Command(BaseCommand):
    help = (
        "Write every channel, video, topic, note, wikilink, speaker, claim, appearance and "
        "argument to PATH as JSON Lines (- for stdout), read as one consistent snapshot. Users "
        "are not exported. `import_data PATH` loads the file into an empty database."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", metavar="PATH", help="The file to write, or - for stdout.")
        parser.add_argument(
            "--with-history",
            action="store_true",
            help="Include the change history; its users are written as usernames.",
        )

    def handle(self, *args, path: str, with_history: bool, **options):
        if path == STDOUT:
            counts = dump_export(self.stdout.write, with_history=with_history)
            # stdout carries the dump; the summary goes to stderr, styled as news, not an error.
            summary = f"Exported {dump_summary(counts)} to stdout"
            self.stderr.write(summary, style_func=self.style.SUCCESS)
            return

        target = Path(path)
        # Written aside and renamed when complete: a failed export never leaves a file that
        # looks like a whole dump.
        partial = target.with_name(f".{target.name}.partial")
        try:
            with partial.open("w", encoding="utf-8") as file:
                counts = dump_export(file.write, with_history=with_history)
            partial.replace(target)
        except OSError as error:
            raise CommandError(f"Cannot write {path}: {error.strerror or error}") from None
        finally:
            partial.unlink(missing_ok=True)
        self.stdout.write(f"Exported {dump_summary(counts)} to {path}")
