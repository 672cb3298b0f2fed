from django.apps import AppConfig


class NotesConfig(AppConfig):
    name = "notes"
    verbose_name = "Vault notes"

    def ready(self) -> None:
        from notes import revisions
        from notes.models import Channel, Note, Topic, Video

        revisions.track(Channel, Video, kind="videos")
        revisions.track(Topic, kind="topics")
        revisions.track(Note, kind="notes")
