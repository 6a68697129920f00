"""`kinabase-m365 user …`: the first Administrator of an organisation, and passwords.

Before Microsoft 365 is connected, someone must be able to sign in and connect it. An operator
creates that Administrator and gives them a password:

    kinabase-m365 user create --org 1 --email ada@example.com --type administrator
    kinabase-m365 user set-password --org 1 --email ada@example.com < password-file

The password is read from standard input (one line; the prompt-less form keeps it out of shell
history and process listings), and only its scrypt hash is stored.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from sqlalchemy.orm import Session

from kinabase.accounts import create_user
from kinabase.organisations import get_organisation
from kinabase.users import UserType, find_user_by_email
from kinabase_m365.settings import Settings
from sso.passwords import UnacceptablePassword, hash_password

UnitOfWork = Callable[[Settings], AbstractContextManager[Session]]


class UserCommandError(Exception):
    """A mistake in a `user` command, reported in one line (exit status 2)."""


def add_user_commands(commands: Any, unit_of_work: UnitOfWork) -> Any:
    """Add `user create` and `user set-password` to the CLI's sub-commands; returns the `user`
    command's actions, for other packages' user commands."""
    user = commands.add_parser("user", help="users and passwords")
    actions = user.add_subparsers(required=True, metavar="ACTION", parser_class=type(user))

    create = actions.add_parser("create", help="create an active user; prints the id")
    create.add_argument("--org", type=int, required=True, help="organisation id")
    create.add_argument("--email", required=True)
    create.add_argument("--first-name", default="")
    create.add_argument("--last-name", default="")
    create.add_argument("--type", choices=[t.value for t in UserType], default=UserType.USER.value)
    create.set_defaults(handler=lambda args, settings: _create(args, unit_of_work(settings)))

    password = actions.add_parser(
        "set-password", help="set a user's password, read from standard input"
    )
    password.add_argument("--org", type=int, required=True, help="organisation id")
    password.add_argument("--email", required=True)
    password.set_defaults(
        handler=lambda args, settings: _set_password(args, unit_of_work(settings))
    )
    return actions


def _create(args: argparse.Namespace, unit: AbstractContextManager[Session]) -> int:
    with unit as session:
        get_organisation(session, args.org)
        user = create_user(
            session,
            args.org,
            args.email,
            first_name=args.first_name,
            last_name=args.last_name,
            user_type=UserType(args.type),
            active=True,
        )
        user_id = user.id
    print(user_id)
    return 0


def _set_password(args: argparse.Namespace, unit: AbstractContextManager[Session]) -> int:
    password = sys.stdin.readline().rstrip("\r\n")
    try:
        password_hash = hash_password(password)
    except UnacceptablePassword as error:
        raise UserCommandError(str(error)) from None
    with unit as session:
        get_organisation(session, args.org)
        user = find_user_by_email(session, args.org, args.email)
        if user is None:
            raise UserCommandError(f"organisation {args.org} has no user {args.email!r}")
        user.password_hash = password_hash
    print(f"password of {args.email} set", file=sys.stderr)
    return 0
