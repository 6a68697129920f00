"""Entity tags and conditional requests (RFC 7644 §3.14; RFC 7232).

A resource's version number is its weak entity tag, `W/"<version>"`, returned in the ETag
header and `meta.version`. `If-Match` and `If-None-Match` are compared weakly (RFC 7232 §2.3.2):
the service's tags are weak, and RFC 7644 §3.14 shows clients sending them back in `If-Match`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from scim_server.protocol.errors import NotModified, PreconditionFailed

_TAG = re.compile(r'(?:W/)?"([^"]*)"')


def etag(version: int) -> str:
    """The weak entity tag of a resource version."""
    return f'W/"{version}"'


def _opaque_tags(header: str) -> set[str] | None:
    """The opaque tags listed in a precondition header; None for "*" (any)."""
    header = header.strip()
    if header == "*":
        return None
    tags = set(_TAG.findall(header))
    if not tags and header:
        tags = {t.strip().removeprefix("W/").strip('"') for t in header.split(",")}
    return tags


def check_preconditions(
    version: int, *, if_match: str | None, if_none_match: str | None, read: bool
) -> None:
    """Raise if a conditional request's precondition fails for the current `version`.

    `If-Match` that matches no listed tag is 412; `If-None-Match` that matches is 304 on a read
    (GET) and 412 on a write (RFC 7232 §3.2).
    """
    current = str(version)
    if if_match is not None:
        tags = _opaque_tags(if_match)
        if tags is not None and current not in tags:
            raise PreconditionFailed(f"The resource is at version {etag(version)}.")
    if if_none_match is not None:
        tags = _opaque_tags(if_none_match)
        if tags is None or current in tags:
            if read:
                raise NotModified()
            raise PreconditionFailed(f"The resource is already at version {etag(version)}.")


@dataclass(frozen=True)
class Preconditions:
    """The `If-Match` and `If-None-Match` of a request (RFC 7644 §3.14); none by default."""

    if_match: str | None = None
    if_none_match: str | None = None

    def check(self, version: int, *, read: bool) -> None:
        """Raise NotModified (304) or PreconditionFailed (412) as `check_preconditions` does."""
        check_preconditions(
            version, if_match=self.if_match, if_none_match=self.if_none_match, read=read
        )


UNCONDITIONAL = Preconditions()
