from django.apps import AppConfig


class ContributionsConfig(AppConfig):
    name = "contributions"
    verbose_name = "Contributions and moderation"

    def ready(self) -> None:
        from claims import dump
        from contributions import checks  # noqa: F401 - registers the deployment checks
        from contributions.models import Contribution, ModerationLog

        # Who proposed and who decided what: part of the audit trail a dump carries with the
        # history. claims.dump cannot import this app, so it is told.
        dump.register_audit_models(Contribution, ModerationLog)
