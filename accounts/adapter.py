"""allauth's account adapter, with messages that say how long to wait."""

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.utils.translation import ngettext


class AccountAdapter(DefaultAccountAdapter):
    def __init__(self, request=None) -> None:
        super().__init__(request)
        minutes = settings.LOGIN_FAILURES_WINDOW_MINUTES
        self.error_messages = {
            **self.error_messages,
            # allauth's `login_failed` limit: per account from anywhere, and per address.
            "too_many_login_attempts": ngettext(
                "Too many failed logins for this account or from your address. "
                "Wait %(minutes)d minute, then try again.",
                "Too many failed logins for this account or from your address. "
                "Wait %(minutes)d minutes, then try again.",
                minutes,
            )
            % {"minutes": minutes},
        }
