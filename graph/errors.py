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
