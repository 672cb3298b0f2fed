"""Sign-up, e-mail confirmation, log-in by username or address, log-out, password change, reset."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.urls import reverse

from accounts.roles import CONTRIBUTORS, is_contributor
from tests.accounts.conftest import PASSWORD, logged_in_as, site_login

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "another-long-password"


def link_in(message) -> str:
    """The one link to this site in a mail, as a path."""
    (path,) = re.findall(r"http://testserver(/\S+)", message.body)
    return path


def sign_up(client, username="newcomer", email="newcomer@example.org"):
    return client.post(
        reverse("account_signup"),
        {"username": username, "email": email, "password1": PASSWORD, "password2": PASSWORD},
    )


def test_sign_up_then_confirm_by_mail_makes_a_contributor(client, mailoutbox):
    response = sign_up(client)

    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    user = get_user_model().objects.get(username="newcomer")
    assert not is_contributor(user)
    assert logged_in_as(client) is None
    (message,) = mailoutbox
    assert message.to == ["newcomer@example.org"]
    assert message.subject == "[Claimtrack] Please Confirm Your Email Address"
    confirm = link_in(message)
    assert confirm.startswith("/accounts/confirm-email/")

    # Opening the link asks; only the POST of its button confirms (mail scanners open links).
    assert client.get(confirm).status_code == 200
    assert not is_contributor(user)
    response = client.post(confirm)

    assert response.status_code == 302
    assert is_contributor(user)
    assert list(user.groups.values_list("name", flat=True)) == [CONTRIBUTORS]
    address = EmailAddress.objects.get(user=user)
    assert (address.email, address.verified, address.primary) == (
        "newcomer@example.org",
        True,
        True,
    )


@pytest.mark.parametrize("login", ["contributor", "CONTRIBUTOR", "contributor@example.org"])
def test_a_confirmed_user_logs_in_by_username_or_e_mail_address(client, contributor, login):
    response = site_login(client, login, PASSWORD)

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert logged_in_as(client) == str(contributor.pk)


def test_an_unconfirmed_user_is_not_logged_in_and_gets_a_new_link(client, unconfirmed, mailoutbox):
    response = site_login(client, "unconfirmed", PASSWORD)

    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    assert logged_in_as(client) is None
    (message,) = mailoutbox
    assert message.to == ["unconfirmed@example.org"]
    assert link_in(message).startswith("/accounts/confirm-email/")


def test_a_deactivated_user_cannot_log_in(client, deactivated):
    response = site_login(client, "deactivated", PASSWORD)

    assert logged_in_as(client) is None
    assert response.status_code == 302
    assert response["Location"] == reverse("account_inactive")


def test_a_wrong_password_is_refused_on_the_form(client, contributor):
    response = site_login(client, "contributor", "not-the-password")

    assert response.status_code == 200
    assert logged_in_as(client) is None
    assert "The username and/or password you specified are not correct." in response.text


def test_log_out(client, contributor):
    client.force_login(contributor)

    response = client.post(reverse("account_logout"))

    assert response.status_code == 302
    assert logged_in_as(client) is None


def test_password_change(client, contributor):
    client.force_login(contributor)

    response = client.post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    assert response.status_code == 302
    contributor.refresh_from_db()
    assert contributor.check_password(NEW_PASSWORD)


def test_password_reset_by_mail(client, contributor, mailoutbox):
    response = client.post(reverse("account_reset_password"), {"email": "contributor@example.org"})

    assert response.status_code == 302
    (message,) = mailoutbox
    assert message.to == ["contributor@example.org"]
    # The link's key moves into the session and the browser is sent to a keyless address.
    form = client.get(link_in(message))
    assert form.status_code == 302
    response = client.post(form["Location"], {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})

    assert response.status_code == 302
    contributor.refresh_from_db()
    assert contributor.check_password(NEW_PASSWORD)
    assert site_login(client, "contributor", NEW_PASSWORD).status_code == 302
    assert logged_in_as(client) == str(contributor.pk)


def test_account_pages_use_the_site_layout(client):
    page = client.get(reverse("account_login"))

    assert page.status_code == 200
    assert page.text.startswith('<!DOCTYPE html>\n<html lang="en">')
    title = re.search(r"<title>(.*?)</title>", page.text, re.DOTALL).group(1)
    assert " ".join(title.split()) == "Sign In · Claimtrack"
    assert f'href="{reverse("account_signup")}"' in page.text
