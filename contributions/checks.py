"""System checks of what the contributions app needs from a deployment."""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Warning, register

#: Hosts that only the server itself reaches: a link to them in a mail leads nowhere.
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}


@register("mail", deploy=True)
def site_url_reaches_the_site(app_configs, **kwargs) -> list[Warning]:
    """Decision mails link to `SITE_URL`: in production it must be the public HTTPS address."""
    parts = urlsplit(settings.SITE_URL)
    if parts.hostname in LOCAL_HOSTS or parts.scheme != "https":
        return [
            Warning(
                f"SITE_URL is {settings.SITE_URL!r}: the links in decision mails would not "
                "reach the site from a reader's mailbox.",
                hint="Set DJANGO_SITE_URL to the site's public address, such as "
                "https://claimtrack.example.",
                id="contributions.W001",
            )
        ]
    return []
