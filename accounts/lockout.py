"""Brute-force lockout (django-axes): whose attempt a login is, and what a locked-out client reads.

Every login form (allauth's, the admin's) and the API's token endpoint authenticate through
`django.contrib.auth.authenticate`, where axes' backend comes first: after
`AXES_FAILURE_LIMIT` failed logins in a row for one username from one client address, that
pair is refused, the right password included, until `AXES_COOLOFF_TIME` after the last
counted failure.

Why the username and address together: locked by username alone, anyone could lock anyone out
(a moderator, just before a decision) by failing to log in as them; by address alone, everyone
behind one address (a university, a mobile carrier's NAT) would share one budget and lock out
each other. The pair stops one client guessing one account's password. A client spreading its
guesses over many addresses meets allauth's own limit per username or e-mail from any address
on the sign-in page and the token endpoint (`ACCOUNT_RATE_LIMITS`); password validators keep
the guesses it can afford useless.
"""

import ipaddress
import math
from datetime import datetime

from axes.helpers import get_client_username, get_cool_off
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.db.models import Max, Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import ngettext
from rest_framework.throttling import BaseThrottle

#: The longest username axes can store (its column's length).
_MAX_IDENTITY = 255


def client_address(request: HttpRequest) -> str | None:
    """The client's address, by the API's rule (`REST_FRAMEWORK["NUM_PROXIES"]`).

    That is the connection's address, unless `DJANGO_TRUSTED_PROXIES` proxies of our own stand
    in front: then it is the address the outermost one saw, from the end of X-Forwarded-For.
    Whatever else the header holds the client wrote; a value that is no address falls back to
    the connection's, so a made-up header can neither escape a lockout nor break its storage.
    """
    for candidate in (BaseThrottle().get_ident(request), request.META.get("REMOTE_ADDR")):
        try:
            return str(ipaddress.ip_address((candidate or "").strip()))
        except ValueError:
            continue
    return None


def login_identity(request: HttpRequest | None, credentials: dict | None) -> str | None:
    """The account a login attempt names, as one string however the form named it.

    Usernames compare without case, as allauth's do, and an e-mail address of exactly one
    account counts as that account's username: typing one or the other buys no extra guesses.
    """
    credentials = credentials or {}
    login = credentials.get("username") or credentials.get("email")
    if not login:
        return None
    login = str(login).strip().lower()[:_MAX_IDENTITY]
    if "@" in login:
        User = get_user_model()
        usernames = list(
            User.objects.filter(Q(email__iexact=login) | Q(emailaddress__email__iexact=login))
            .values_list(User.USERNAME_FIELD, flat=True)
            .distinct()[:2]
        )
        if len(usernames) == 1:
            return usernames[0].lower()
    return login


def lockout_ends(request: HttpRequest, credentials: dict | None) -> datetime:
    """When the lockout of this request's username and address ends, at the latest."""
    last_failure = AccessAttempt.objects.filter(
        username=get_client_username(request, credentials),
        ip_address=request.axes_ip_address,
    ).aggregate(last=Max("attempt_time"))["last"]
    return (last_failure or timezone.now()) + get_cool_off(request)


def seconds_until(moment: datetime) -> int:
    """Whole seconds from now until `moment`, at least 1: what `Retry-After` says."""
    return max(1, math.ceil((moment - timezone.now()).total_seconds()))


def lockout_message(seconds: int) -> str:
    minutes = math.ceil(seconds / 60)
    return ngettext(
        "Too many failed logins for this username from your address. "
        "Try again in %(minutes)d minute.",
        "Too many failed logins for this username from your address. "
        "Try again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict | None
) -> HttpResponse:
    """What axes answers a locked-out login with (`AXES_LOCKOUT_CALLABLE`): 429 and when to retry.

    Under /api/ it is the API's one error shape; elsewhere a page. Both carry `Retry-After`.
    """
    ends = lockout_ends(request, credentials)
    seconds = seconds_until(ends)
    if request.path.startswith("/api/"):
        response = JsonResponse(
            {"status": 429, "code": "locked_out", "detail": lockout_message(seconds), "errors": {}},
            status=429,
        )
    else:
        response = render(
            request,
            "accounts/lockout.html",
            {"message": lockout_message(seconds), "ends": ends},
            status=429,
        )
    response["Retry-After"] = str(seconds)
    add_never_cache_headers(response)
    return response
