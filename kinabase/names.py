"""Names that people give things (organisations, fields): trimmed, never blank, one line; and the
caseless key of an email address."""

from __future__ import annotations

import unicodedata

from kinabase.errors import InvalidName

NAME_LENGTH = 200  # the length of the name columns (organisations.name, fields.name)


def clean_name(raw: str, what: str) -> str:
    """`raw` without surrounding whitespace; InvalidName if that leaves nothing usable.

    `what` names the thing in the message ("organisation", "field"). Control characters (tabs,
    line breaks) are refused because listings print one tab-separated line per name.
    """
    name = raw.strip()
    if not name:
        raise InvalidName(f"the {what} name cannot be blank")
    if any(unicodedata.category(character) == "Cc" for character in name):
        raise InvalidName(f"the {what} name cannot contain tabs, line breaks or control characters")
    if len(name) > NAME_LENGTH:
        raise InvalidName(f"the {what} name can have at most {NAME_LENGTH} characters")
    return name


def fold_case(text: str) -> str:
    """The caseless, normalised key of `text` (an email address): NFC, Unicode case fold, NFC.

    The same rule as `scim_server.protocol.case_folding.fold_case` (docs/scim.md, "Case"), so
    that an address Entra sends in another case or normalisation finds the same Kinabase user.
    """
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", text).casefold())
