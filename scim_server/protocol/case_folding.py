"""The one rule for comparing strings without regard to case (RFC 7643 §2.2, caseExact false).

`fold_case` is Unicode NFC, then Python's full Unicode case fold (`str.casefold`), then NFC again
so that the key is itself normalised: `Ä`/`ä` and NFC/NFD `é` fold alike, `ß` folds to `ss`, and
`İ` (U+0130) folds to `i` + U+0307, not to `i`. The store keeps the folded key of the values it
indexes case-insensitively (`userName`, a group's `displayName`) in a column of its own, computed
here in Python, so that uniqueness and filters mean the same on SQLite and PostgreSQL; the
in-memory filter evaluator applies the same rule. (`kinabase.names.fold_case` is the same rule
for Kinabase email addresses: `kinabase/` and the protocol import nothing of each other, and a
test holds the two to each other.)
"""

from __future__ import annotations

import unicodedata


def fold_case(text: str) -> str:
    """The caseless, normalised key of `text`: NFC, Unicode case fold, NFC."""
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", text).casefold())
