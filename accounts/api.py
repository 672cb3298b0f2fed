"""API tokens: `/api/v1/auth/tokens/` creates, lists and revokes the caller's tokens.

A token is created by a username (or e-mail address) and password, by HTTP Basic or in the JSON
body, or by a logged-in session; never by another token, which would let a stolen token outlive
its expiry. The password is checked as every login form's is: a failure counts towards the
lockout (`accounts.lockout`) and allauth's limit on failed logins per account. The key is in
the creation's answer and nowhere else: lists name a token by its prefix. None of these
answers may be stored by a cache.
"""

from allauth.account.adapter import get_adapter as get_account_adapter
from django.conf import settings
from django.contrib.auth import user_logged_in
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.cache import add_never_cache_headers
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.authentication import BasicAuthentication, SessionAuthentication
from rest_framework.exceptions import ErrorDetail
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import lockout, selectors, services
from accounts.authentication import TokenAuthentication
from accounts.permissions import IsActiveUser
from accounts.roles import is_contributor
from config.api import ErrorSerializer

WRONG_CREDENTIALS = "Wrong username or password."
#: A token's prefix as knox stores it: the key's first 15 hexadecimal digits.
PREFIX_PATTERN = "^[0-9a-f]{15}$"


class LoginRefused(exceptions.Throttled):
    """A 429 with `Retry-After`, whose detail says itself how long to wait."""

    def __init__(self, *, wait: int, detail: str) -> None:
        super().__init__(wait=wait)
        self.detail = ErrorDetail(detail, code=self.default_code)


class LockedOut(LoginRefused):
    default_code = "locked_out"


class LoginsThrottled(LoginRefused):
    default_code = "too_many_login_attempts"


def password_login(request: Request, login: str, password: str):
    """The active user whose username or e-mail address is `login`, if `password` is theirs.

    Checked as allauth's sign-in form checks it: within allauth's limit on failed logins for
    the account, then by `authenticate`, whose first backend is axes'.
    """
    if "\x00" in login or "\x00" in password:
        # No account has one, and PostgreSQL refuses to compare text that holds one.
        raise exceptions.AuthenticationFailed(WRONG_CREDENTIALS)
    django_request = request._request
    credentials = {"username": login, "password": password}
    if "@" in login:
        credentials["email"] = login
    try:
        user = get_account_adapter(django_request).authenticate(django_request, **credentials)
    except DjangoValidationError as refusal:
        raise LoginsThrottled(
            wait=settings.LOGIN_FAILURES_WINDOW_MINUTES * 60, detail=" ".join(refusal.messages)
        ) from None
    if getattr(django_request, "axes_locked_out", False):
        seconds = lockout.seconds_until(
            lockout.lockout_ends(django_request, django_request.axes_credentials)
        )
        raise LockedOut(wait=seconds, detail=lockout.lockout_message(seconds))
    if user is None:
        raise exceptions.AuthenticationFailed(WRONG_CREDENTIALS)
    if not user.is_active:
        # allauth hands back an inactive user whose password was right, to say so.
        raise exceptions.AuthenticationFailed("This account is inactive.")
    return user


class PasswordAuthentication(BasicAuthentication):
    """HTTP Basic, with the password checked by `password_login`."""

    www_authenticate_realm = "Claimtrack API tokens"

    def authenticate_credentials(self, userid, password, request=None):
        return password_login(request, userid, password), None


class PasswordScheme(OpenApiAuthenticationExtension):
    target_class = PasswordAuthentication
    name = "basicAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "basic"}


class TokenSchema(AutoSchema):
    """The documented answers, with the `Retry-After` that comes with every 429."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if "429" in responses:
            responses["429"]["headers"] = {
                "Retry-After": {
                    "schema": {"type": "integer", "minimum": 1},
                    "description": "Seconds to wait before trying again.",
                    "required": True,
                }
            }
        return responses


class PrivateApiMixin:
    """What the token endpoints share: documented `Retry-After`, and answers no cache may keep."""

    schema = TokenSchema()

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        add_never_cache_headers(response)
        return response


class TokenSerializer(serializers.Serializer):
    prefix = serializers.CharField(
        source="token_key", help_text="The token's first characters: its name in lists."
    )
    created = serializers.DateTimeField()
    expiry = serializers.DateTimeField(help_text="After this the token no longer authenticates.")


class CreatedTokenSerializer(TokenSerializer):
    token = serializers.CharField(
        help_text="The key, shown this once: send it as `Authorization: Token <key>`."
    )


class PasswordSerializer(serializers.Serializer):
    """A username and password in the body, for clients that do not send HTTP Basic."""

    username = serializers.CharField(
        max_length=254, required=False, help_text="Your username or e-mail address."
    )
    password = serializers.CharField(max_length=4096, required=False, trim_whitespace=False)

    def validate(self, attrs):
        missing = {"username", "password"} - set(attrs)
        if missing:
            raise serializers.ValidationError(
                {name: ["Give both username and password."] for name in sorted(missing)}
            )
        return attrs


class RevokedSerializer(serializers.Serializer):
    revoked = serializers.IntegerField(help_text="How many tokens were deleted.")


def _errors(descriptions: dict[int, str]) -> dict[int, OpenApiResponse]:
    """Documented error answers, each in the API's one error shape."""
    return {
        code: OpenApiResponse(ErrorSerializer, description=description)
        for code, description in descriptions.items()
    }


_NOT_AUTHENTICATED = "No credentials, or a bad or expired token."
_THROTTLED = (
    "Too many failed logins: for this username from this address (`locked_out`) or for this "
    "account from anywhere (`too_many_login_attempts`), or too many requests from this address "
    "(`throttled`). `Retry-After` says how many seconds to wait."
)


class TokenListCreateApi(PrivateApiMixin, APIView):
    authentication_classes = [PasswordAuthentication, TokenAuthentication, SessionAuthentication]

    def get_permissions(self):
        if self.request.method == "POST":
            return []
        return [IsActiveUser()]

    @extend_schema(
        summary="List your API tokens",
        description="Your unexpired tokens, newest first, each named by its prefix; never a key.",
        responses={200: TokenSerializer(many=True), **_errors({401: _NOT_AUTHENTICATED})},
    )
    def get(self, request):
        return Response(TokenSerializer(selectors.token_list(user=request.user), many=True).data)

    @extend_schema(
        summary="Create an API token",
        description=(
            "Authenticate with your username (or e-mail address) and password, by HTTP Basic or "
            "as `username` and `password` in the body, or with a logged-in session (and its "
            "CSRF token); a token cannot create tokens. Only contributors (a confirmed e-mail "
            "address) may hold tokens. The key is in this answer and never again."
        ),
        request=PasswordSerializer,
        # Not a token; or no scheme at all, the password then being in the body.
        auth=[{PasswordScheme.name: []}, {"cookieAuth": []}, {}],
        responses={
            201: CreatedTokenSerializer,
            **_errors(
                {
                    400: "The body's username or password is missing or malformed.",
                    401: "No credentials, or a wrong username or password.",
                    403: (
                        "Not a contributor (no confirmed e-mail address), authenticated by a "
                        "token, or already holding as many tokens as one may."
                    ),
                    429: _THROTTLED,
                }
            ),
        },
    )
    def post(self, request):
        user = self._token_owner(request)
        if not is_contributor(user):
            raise exceptions.PermissionDenied(
                "Only contributors may hold API tokens: confirm your e-mail address first."
            )
        try:
            token, key = services.token_create(user=user)
        except services.TokenLimitReached as refusal:
            raise exceptions.PermissionDenied(str(refusal), code="token_limit") from None
        if not isinstance(request.successful_authenticator, SessionAuthentication):
            # A password login: last_login moves, and axes forgets the failures before it.
            user_logged_in.send(sender=type(user), request=request._request, user=user)
        token.token = key
        return Response(CreatedTokenSerializer(token).data, status=status.HTTP_201_CREATED)

    def _token_owner(self, request):
        if isinstance(request.successful_authenticator, TokenAuthentication):
            raise exceptions.PermissionDenied(
                "A token cannot create tokens: use your password or a logged-in session."
            )
        if request.user.is_authenticated:
            return request.user
        if not request.data:
            raise exceptions.NotAuthenticated(
                "Give your username and password (HTTP Basic or in the body), or log in."
            )
        credentials = PasswordSerializer(data=request.data)
        credentials.is_valid(raise_exception=True)
        return password_login(
            request, credentials.validated_data["username"], credentials.validated_data["password"]
        )


class TokenRevokeApi(PrivateApiMixin, APIView):
    permission_classes = [IsActiveUser]

    @extend_schema(
        summary="Revoke one of your API tokens",
        parameters=[
            OpenApiParameter(
                "prefix",
                {"type": "string", "pattern": PREFIX_PATTERN},
                OpenApiParameter.PATH,
                description="The token's prefix, as the list of your tokens gives it.",
            )
        ],
        responses={
            204: None,
            **_errors(
                {401: _NOT_AUTHENTICATED, 404: "None of your unexpired tokens has this prefix."}
            ),
        },
    )
    def delete(self, request, prefix: str):
        try:
            services.token_revoke(user=request.user, prefix=prefix)
        except services.TokenNotFound:
            raise exceptions.NotFound("None of your unexpired tokens has this prefix.") from None
        return Response(status=status.HTTP_204_NO_CONTENT)


class TokenRevokeAllApi(PrivateApiMixin, APIView):
    permission_classes = [IsActiveUser]

    @extend_schema(
        summary="Revoke all your API tokens",
        request=None,
        responses={200: RevokedSerializer, **_errors({401: _NOT_AUTHENTICATED})},
    )
    def post(self, request):
        return Response({"revoked": services.token_revoke_all(user=request.user)})
