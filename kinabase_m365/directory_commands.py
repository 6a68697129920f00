"""`kinabase-m365` commands for what directory users get and what the directory produced.

Roles, rules (by group or Entra app role), the colleague field mapping, the Kinabase users
(`user list`), the directory users still pending (`provisioning pending`) and what the directory
sent (`provisioning activity`). Every change goes
through the provisioning service, which applies it to the users the store already has, in the
command's one transaction.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import asdict
from typing import Any

from sqlalchemy.orm import Session

from kinabase.organisations import get_organisation
from kinabase.provisioning_activity import ActivityFilter, Outcome, exported, list_activity
from kinabase.roles import create_role, list_roles
from kinabase.users import UserType
from kinabase_m365.settings import Settings
from scim_server.provisioning.listings import kinabase_users, pending_users
from scim_server.provisioning.rules import (
    add_rule,
    colleague_field_sources,
    delete_rule,
    map_colleague_field,
    reset_colleague_fields,
    rules,
)

UnitOfWork = Callable[[Settings], AbstractContextManager[Session]]
Handler = Callable[[argparse.Namespace, Session], int]


def add_directory_commands(commands: Any, user_actions: Any, unit_of_work: UnitOfWork) -> None:
    """Add `role`, `rule`, `mapping`, `provisioning` and `user list` to the CLI."""

    def command(parser: argparse.ArgumentParser, handler: Handler) -> argparse.ArgumentParser:
        parser.add_argument("--org", type=int, required=True, help="organisation id")

        def run(args: argparse.Namespace, settings: Settings) -> int:
            with unit_of_work(settings) as session:
                get_organisation(session, args.org)
                return handler(args, session)

        parser.set_defaults(handler=run)
        return parser

    role = _actions(commands, "role", "roles")
    command(role.add_parser("add", help="create a role; prints its id"), _role_add).add_argument(
        "--name", required=True
    )
    command(role.add_parser("list", help="list roles"), _role_list)

    rule = _actions(commands, "rule", "rules: what a directory group or app role gives")
    rule_add = command(rule.add_parser("add", help="create a rule; prints its id"), _rule_add)
    subject = rule_add.add_mutually_exclusive_group(required=True)
    subject.add_argument("--group", help="the group's display name, or its Entra object id")
    subject.add_argument("--app-role", metavar="VALUE", help="an Entra app role's value")
    rule_add.add_argument(
        "--role", action="append", default=[], metavar="NAME", help="an existing role (repeat)"
    )
    rule_add.add_argument("--user-type", choices=[member.value for member in UserType])
    command(rule.add_parser("list", help="list rules"), _rule_list)
    rule_remove = command(rule.add_parser("remove", help="remove a rule and what it gave"), _rm)
    rule_remove.add_argument("rule_id", type=int, metavar="RULE_ID")

    mapping = _actions(commands, "mapping", "colleague field mapping")
    command(mapping.add_parser("show", help="each Colleague field and its SCIM source"), _show)
    mapping_set = command(mapping.add_parser("set", help="fill a field from a SCIM path"), _set)
    mapping_set.add_argument("--field", required=True, metavar="KEY")
    mapping_set.add_argument("--source", required=True, metavar="PATH")
    unset = command(mapping.add_parser("unset", help="fill a field from nothing"), _unset)
    unset.add_argument("--field", required=True, metavar="KEY")
    reset = command(mapping.add_parser("reset", help="back to the defaults"), _reset)
    reset.add_argument("--field", metavar="KEY", help="one field (default: every field)")

    provisioning = _actions(commands, "provisioning", "what the directory produced")
    command(
        provisioning.add_parser("pending", help="directory users not in Kinabase yet, and why"),
        _pending,
    )
    shown = command(
        provisioning.add_parser("activity", help="what the directory sent, newest first"), _activity
    )
    shown.add_argument("--outcome", choices=[o.value for o in Outcome], help="only this outcome")
    shown.add_argument("--type", choices=["User", "Group", "Bulk"], help="only this resource type")
    shown.add_argument("--limit", type=_positive, default=100, help="at most this many (100)")
    shown.add_argument("--json", action="store_true", help="one JSON array, for machines")
    user_list = command(user_actions.add_parser("list", help="list Kinabase users"), _user_list)
    user_list.add_argument("--json", action="store_true", help="one JSON array, for machines")


def _positive(raw: str) -> int:
    value = int(raw)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _actions(commands: Any, name: str, help_: str) -> Any:
    parser = commands.add_parser(name, help=help_)
    return parser.add_subparsers(required=True, metavar="ACTION", parser_class=type(parser))


def _role_add(args: argparse.Namespace, session: Session) -> int:
    print(create_role(session, args.org, args.name).id)
    return 0


def _role_list(args: argparse.Namespace, session: Session) -> int:
    for role in list_roles(session, args.org):
        print(f"{role.id}\t{role.name}")
    return 0


def _rule_add(args: argparse.Namespace, session: Session) -> int:
    rule = add_rule(
        session,
        args.org,
        group=args.group,
        app_role=args.app_role,
        role_names=args.role,
        user_type=UserType(args.user_type) if args.user_type else None,
    )
    print(rule.id)
    return 0


def _rule_list(args: argparse.Namespace, session: Session) -> int:
    for rule in rules(session, args.org):
        roles = ",".join(role.name for role in rule.roles) or "-"
        print(
            f"{rule.id}\t{rule.subject}\tscim_id={rule.group_directory_id or '-'}"
            f"\troles={roles}\tuser_type={rule.user_type or '-'}"
        )
    return 0


def _rm(args: argparse.Namespace, session: Session) -> int:
    delete_rule(session, args.org, args.rule_id)
    print(f"rule {args.rule_id} removed", file=sys.stderr)
    return 0


def _show(args: argparse.Namespace, session: Session) -> int:
    for entry in colleague_field_sources(session, args.org):
        origin = "default" if entry.is_default else "custom"
        print(f"{entry.field.key}\t{entry.source or '-'}\t{origin}")
    return 0


def _set(args: argparse.Namespace, session: Session) -> int:
    resync = map_colleague_field(session, args.org, args.field, args.source)
    print(
        f"field {args.field} is filled from {args.source} ({resync.projected} users updated)",
        file=sys.stderr,
    )
    return 0


def _unset(args: argparse.Namespace, session: Session) -> int:
    resync = map_colleague_field(session, args.org, args.field, None)
    print(f"field {args.field} is not mapped ({resync.projected} users updated)", file=sys.stderr)
    return 0


def _reset(args: argparse.Namespace, session: Session) -> int:
    resync = reset_colleague_fields(session, args.org, args.field)
    print(
        f"{args.field or 'every field'} is mapped by default ({resync.projected} users updated)",
        file=sys.stderr,
    )
    return 0


def _pending(args: argparse.Namespace, session: Session) -> int:
    for user in pending_users(session, args.org):
        print(f"{user.directory_id}\t{user.user_name}\t{user.reason}")
    return 0


def _activity(args: argparse.Namespace, session: Session) -> int:
    shown = ActivityFilter(Outcome(args.outcome) if args.outcome else None, args.type)
    entries = [exported(row) for row in list_activity(session, args.org, shown, limit=args.limit)]
    if args.json:
        print(json.dumps(entries, indent=2))
        return 0
    for entry in entries:
        why = entry["detail"] or ""
        print(
            f"{entry['time']}\t{entry['outcome']}\t{entry['status']}\t{entry['method']}"
            f"\t{entry['resource_type']}\t{entry['name'] or '-'}\t{entry['resource_id'] or '-'}"
            f"\t{entry['reason'] or '-'}\t{why}"
        )
    return 0


def _user_list(args: argparse.Namespace, session: Session) -> int:
    users = kinabase_users(session, args.org)
    if args.json:
        print(json.dumps([asdict(user) for user in users], indent=2))
        return 0
    for user in users:
        print(f"{user.email}\t{user.user_type}\t{user.status}\t{user.source}")
    return 0
