"""Why Microsoft could not be used: the Microsoft client's own exceptions.

Callers turn them into what their users see (`sso` into refusal pages). Messages carry no
secrets; what Entra said (`error_description`, with its AADSTS code) is kept as sent, because it
is what an administrator searches for.
"""

from __future__ import annotations

MAX_MICROSOFT_TEXT = 500


class MicrosoftError(Exception):
    """Microsoft could not be used for what was asked."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotConfigured(MicrosoftError):
    """The server has no Microsoft app registration (MICROSOFT_CLIENT_ID and a credential)."""

    def __init__(self) -> None:
        super().__init__(
            "no Microsoft app registration: set MICROSOFT_CLIENT_ID and MICROSOFT_CLIENT_SECRET "
            "or MICROSOFT_CLIENT_CERTIFICATE_PATH"
        )


class MicrosoftUnavailable(MicrosoftError):
    """Microsoft could not be reached, or answered something that is not its protocol."""


class TokenRefused(MicrosoftError):
    """Entra's token endpoint refused (OAuth 2.0 error response, RFC 6749 §5.2)."""

    def __init__(self, error: str, description: str | None) -> None:
        text = f"{error}: {description}" if description else error
        super().__init__(text[:MAX_MICROSOFT_TEXT])
        self.error = error


class GraphUnavailable(MicrosoftUnavailable):
    """Microsoft Graph kept failing: throttled (429) or down (5xx) after every retry allowed."""


class ConsentMissing(MicrosoftError):
    """Graph answered 403: the app lacks an application permission in the tenant.

    An administrator of the tenant grants it by admin consent (again, if the app registration
    gained the permission after the first consent). `permission` names it, e.g. `User.Read.All`.
    """

    def __init__(self, permission: str, graph_message: str | None = None) -> None:
        text = (
            f"Microsoft Graph refused: the app lacks the application permission {permission} "
            "in this Microsoft 365 tenant; an administrator must grant admin consent again "
            "(Identity & Provisioning → Connect Microsoft 365)"
        )
        if graph_message:
            text = f"{text}. Graph said: {graph_message}"
        super().__init__(text[:MAX_MICROSOFT_TEXT])
        self.permission = permission


class GraphRequestFailed(MicrosoftError):
    """Graph refused a request for a reason no retry or consent mends (an unexpected 4xx)."""

    def __init__(self, status: int, code: str, graph_message: str) -> None:
        text = f"Microsoft Graph answered {status} {code}: {graph_message}"
        super().__init__(text[:MAX_MICROSOFT_TEXT])
        self.status = status
        self.code = code


class GraphNotFound(GraphRequestFailed):
    """Graph answered 404: the resource (user, photo, manager) does not exist."""


class DeltaExpired(GraphRequestFailed):
    """Graph no longer knows the delta link (410 Gone, a "sync reset"): start a full delta
    round again with `users_delta(tenant, None)`."""
