"""`kinabase-m365 field …`: the fields of an organisation's Colleagues collection.

    kinabase-m365 field list --org 1
    kinabase-m365 field add --org 1 --name "Cost Centre" --type text   # prints costCentre

A new field's key is made from its name (`kinabase.colleagues.field_key`); it is the key that
`mapping set --field` and the other mapping commands take.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from sqlalchemy.orm import Session

from kinabase.colleagues import COLLEAGUE_FIELD_TYPES, create_colleague_field, list_colleague_fields
from kinabase.organisations import get_organisation
from kinabase_m365.settings import Settings

UnitOfWork = Callable[[Settings], AbstractContextManager[Session]]


def add_field_commands(commands: Any, unit_of_work: UnitOfWork) -> None:
    """Add `field list` and `field add` to the CLI's sub-commands."""
    field = commands.add_parser("field", help="fields of the Colleagues collection")
    actions = field.add_subparsers(required=True, metavar="ACTION", parser_class=type(field))

    listing = actions.add_parser("list", help="each field: key, name, type, system or not")
    listing.add_argument("--org", type=int, required=True, help="organisation id")
    listing.set_defaults(handler=lambda args, settings: _list(args, unit_of_work(settings)))

    add = actions.add_parser("add", help="add a field; prints its key")
    add.add_argument("--org", type=int, required=True, help="organisation id")
    add.add_argument("--name", required=True, help='as people read it, e.g. "Cost Centre"')
    # The service names the valid types when it refuses one, so argparse takes any string.
    add.add_argument("--type", required=True, help="one of: " + ", ".join(COLLEAGUE_FIELD_TYPES))
    add.set_defaults(handler=lambda args, settings: _add(args, unit_of_work(settings)))


def _list(args: argparse.Namespace, unit: AbstractContextManager[Session]) -> int:
    with unit as session:
        get_organisation(session, args.org)
        for field in list_colleague_fields(session, args.org):
            system = "yes" if field.is_system else "no"
            print(f"{field.key}\t{field.name}\t{field.type}\tsystem={system}")
    return 0


def _add(args: argparse.Namespace, unit: AbstractContextManager[Session]) -> int:
    with unit as session:
        get_organisation(session, args.org)
        key = create_colleague_field(session, args.org, args.name, args.type).key
    print(key)
    return 0
