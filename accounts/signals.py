"""Account plumbing driven by signals: who becomes a contributor.

An address confirmed through allauth makes its (active) owner a contributor; so does creating
a superuser (`createsuperuser`), which has no other hook. Domain flow never runs through
signals; these only keep a role in step with the account.
"""

from allauth.account.signals import email_confirmed
from django.contrib.auth import get_user_model
from django.db.models.signals import post_save

from accounts import services
from accounts.roles import CONTRIBUTORS


def contributor_on_confirmation(sender, request, email_address, **kwargs) -> None:
    if email_address.user.is_active:
        services.role_grant(user=email_address.user, role=CONTRIBUTORS)


def contributor_on_superuser_creation(sender, instance, created, raw, **kwargs) -> None:
    if created and not raw and instance.is_superuser:
        services.role_grant(user=instance, role=CONTRIBUTORS)


def connect_receivers() -> None:
    email_confirmed.connect(contributor_on_confirmation, dispatch_uid="accounts.contributor")
    post_save.connect(
        contributor_on_superuser_creation,
        sender=get_user_model(),
        dispatch_uid="accounts.superuser_contributor",
    )
