"""`kinabase-m365 outlook …`: which collections hold an organisation's contacts and organisations
(an Administrator's setting, read by the Outlook add-in and email forwarding).

    kinabase-m365 outlook show --org 1
    kinabase-m365 outlook set --org 1 --contacts contacts --organisations organisations

A collection is named by its id or slug; `none` designates none. A collection left out of `set`
keeps its designation. The built-in Contacts and Organisations collections are designated when
an organisation is created.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from sqlalchemy.orm import Session

from kinabase.collections import Collection
from kinabase.contacts import designate_collections, designated_collections, find_collection
from kinabase.organisations import get_organisation
from kinabase_m365.settings import Settings

UnitOfWork = Callable[[Settings], AbstractContextManager[Session]]
NONE = "none"


def add_outlook_commands(commands: Any, unit_of_work: UnitOfWork) -> None:
    """Add `outlook show` and `outlook set` to the CLI's sub-commands."""
    outlook = commands.add_parser(
        "outlook", help="the collections of contacts and organisations (Outlook add-in)"
    )
    actions = outlook.add_subparsers(required=True, metavar="ACTION", parser_class=type(outlook))
    show = actions.add_parser("show", help="the designated collections")
    show.add_argument("--org", type=int, required=True, help="organisation id")
    show.set_defaults(handler=lambda args, settings: _show(args, unit_of_work(settings)))
    change = actions.add_parser("set", help="designate the collections")
    change.add_argument("--org", type=int, required=True, help="organisation id")
    change.add_argument("--contacts", metavar="COLLECTION", help="id, slug, or none")
    change.add_argument("--organisations", metavar="COLLECTION", help="id, slug, or none")
    change.set_defaults(handler=lambda args, settings: _set(args, unit_of_work(settings)))


def _line(what: str, collection: Collection | None) -> str:
    if collection is None:
        return f"{what}\t-"
    return f"{what}\t{collection.id}\t{collection.slug}\t{collection.name}"


def _show(args: argparse.Namespace, unit: AbstractContextManager[Session]) -> int:
    with unit as session:
        get_organisation(session, args.org)
        designated = designated_collections(session, args.org)
        print(_line("contacts", designated.contacts))
        print(_line("organisations", designated.organisations))
    return 0


def _set(args: argparse.Namespace, unit: AbstractContextManager[Session]) -> int:
    with unit as session:
        get_organisation(session, args.org)
        current = designated_collections(session, args.org)

        def chosen(name: str | None, keep: Collection | None) -> Collection | None:
            if name is None:
                return keep
            if name.lower() == NONE:
                return None
            return find_collection(session, args.org, name)

        designated = designate_collections(
            session,
            args.org,
            contacts=chosen(args.contacts, current.contacts),
            organisations=chosen(args.organisations, current.organisations),
        )
        print(_line("contacts", designated.contacts))
        print(_line("organisations", designated.organisations))
    return 0
