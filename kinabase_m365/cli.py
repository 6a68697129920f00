"""The `kinabase-m365` command: database, organisations, provisioning tokens and OAuth clients,
users, roles, rules, the colleague field mapping, pending directory users, serving.

Output meant for scripts (a new id, a new token, a listing) is the only thing on stdout. Wrong
arguments, unknown ids and refused changes give one line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

import requests
from sqlalchemy.orm import Session

from graph.errors import MicrosoftError
from kinabase.accounts import create_organisation
from kinabase.database import make_engine, make_sessionmakers
from kinabase.errors import DomainError
from kinabase.organisations import get_organisation, list_organisations
from kinabase.provisioning_clients import list_clients, register_client, revoke_client
from kinabase.provisioning_tokens import issue_token, list_tokens, revoke_token, verify_token
from kinabase_m365 import migrate
from kinabase_m365.directory_commands import add_directory_commands
from kinabase_m365.directory_pull_commands import PullRefused, add_directory_pull_commands
from kinabase_m365.field_commands import add_field_commands
from kinabase_m365.file_commands import add_file_commands
from kinabase_m365.outlook_commands import add_outlook_commands
from kinabase_m365.server import serve
from kinabase_m365.settings import Settings, SettingsError, load_settings
from kinabase_m365.tenant_commands import add_disconnect_command
from sso.commands import UserCommandError, add_user_commands

USAGE_ERROR = 2
MICROSOFT_FAILED = 1
DEMO_ORGANISATION = "Demo organisation"
DEMO_TOKEN_FILE = Path("instance/demo-token")


class CommandError(Exception):
    """A mistake of the person at the keyboard, reported in one line."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(USAGE_ERROR, f"{self.prog}: error: {message}\n")


def main(argv: Sequence[str] | None = None, *, http_session: requests.Session | None = None) -> int:
    """Entry point of the console script; `http_session` is the one session to Microsoft for
    the commands that read Graph (tests route it to the emulators)."""
    parser = _build_parser()
    args = parser.parse_args(argv)
    args.http_session = http_session
    try:
        settings = load_settings(os.environ)
        handler: Callable[[argparse.Namespace, Settings], int] = args.handler
        return handler(args, settings)
    except (CommandError, DomainError, PullRefused, SettingsError, UserCommandError) as error:
        print(f"kinabase-m365: error: {error}", file=sys.stderr)
        return USAGE_ERROR
    except MicrosoftError as error:
        print(f"kinabase-m365: Microsoft: {error.message}", file=sys.stderr)
        return MICROSOFT_FAILED


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="kinabase-m365", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(required=True, metavar="COMMAND", parser_class=_Parser)

    db = commands.add_parser("db", help="database schema").add_subparsers(
        required=True, metavar="ACTION", parser_class=_Parser
    )
    db.add_parser("upgrade", help="create or migrate the schema").set_defaults(handler=_db_upgrade)

    org = commands.add_parser("org", help="organisations").add_subparsers(
        required=True, metavar="ACTION", parser_class=_Parser
    )
    create = org.add_parser("create", help="create an organisation; prints its id")
    create.add_argument("--name", required=True)
    create.add_argument("--seats", type=_non_negative_int, default=25, help="licence seats")
    create.set_defaults(handler=_org_create)
    org.add_parser("list", help="list organisations").set_defaults(handler=_org_list)
    add_disconnect_command(org, _unit_of_work)

    token = commands.add_parser("token", help="SCIM bearer tokens").add_subparsers(
        required=True, metavar="ACTION", parser_class=_Parser
    )
    token_create = token.add_parser("create", help="issue a token; prints it (shown once)")
    token_create.add_argument("--org", type=int, required=True, help="organisation id")
    token_create.add_argument("--label", default="")
    token_create.set_defaults(handler=_token_create)
    token_list = token.add_parser("list", help="list an organisation's tokens")
    token_list.add_argument("--org", type=int, required=True, help="organisation id")
    token_list.set_defaults(handler=_token_list)
    token_revoke = token.add_parser("revoke", help="revoke a token")
    token_revoke.add_argument("token_id", type=int, metavar="TOKEN_ID")
    token_revoke.set_defaults(handler=_token_revoke)

    client = commands.add_parser(
        "client", help="OAuth clients of provisioning services (client credentials)"
    ).add_subparsers(required=True, metavar="ACTION", parser_class=_Parser)
    client_create = client.add_parser(
        "create", help="register a client; prints its client id and secret (shown once)"
    )
    client_create.add_argument("--org", type=int, required=True, help="organisation id")
    client_create.add_argument("--label", default="")
    client_create.set_defaults(handler=_client_create)
    client_list = client.add_parser("list", help="list an organisation's clients")
    client_list.add_argument("--org", type=int, required=True, help="organisation id")
    client_list.set_defaults(handler=_client_list)
    client_revoke = client.add_parser("revoke", help="revoke a client and its access tokens")
    client_revoke.add_argument("client_id", metavar="CLIENT_ID")
    client_revoke.set_defaults(handler=_client_revoke)

    user_actions = add_user_commands(commands, _unit_of_work)
    add_directory_commands(commands, user_actions, _unit_of_work)
    add_field_commands(commands, _unit_of_work)
    add_file_commands(commands)
    add_outlook_commands(commands, _unit_of_work)
    add_directory_pull_commands(commands, org, _unit_of_work)

    serve = commands.add_parser("serve", help="serve with gunicorn")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    serve.add_argument(
        "--workers", type=int, help="default: WEB_CONCURRENCY, else 4 (gunicorn.conf.py's)"
    )
    serve.set_defaults(handler=_serve)

    commands.add_parser(
        "demo", help="make sure a demo organisation and token exist (used by make run)"
    ).set_defaults(handler=_demo)
    return parser


def _non_negative_int(raw: str) -> int:
    value = int(raw)
    if value < 0:
        raise argparse.ArgumentTypeError("must not be negative")
    return value


@contextmanager
def _unit_of_work(settings: Settings) -> Iterator[Session]:
    engine = make_engine(settings.database_url)
    _, write_sessions = make_sessionmakers(engine)
    try:
        with write_sessions() as session:
            yield session
            session.commit()
    finally:
        engine.dispose()


def _db_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    migrate.upgrade(settings.database_url)
    print("database schema is up to date", file=sys.stderr)
    return 0


def _org_create(args: argparse.Namespace, settings: Settings) -> int:
    with _unit_of_work(settings) as session:
        organisation = create_organisation(session, args.name, licence_seats=args.seats)
        org_id = organisation.id
    print(org_id)
    return 0


def _org_list(args: argparse.Namespace, settings: Settings) -> int:
    with _unit_of_work(settings) as session:
        for organisation in list_organisations(session):
            tenant = organisation.entra_tenant_id or "-"
            print(
                f"{organisation.id}\t{organisation.name}\tseats={organisation.licence_seats}"
                f"\ttenant={tenant}"
            )
    return 0


def _token_create(args: argparse.Namespace, settings: Settings) -> int:
    with _unit_of_work(settings) as session:
        get_organisation(session, args.org)
        issued = issue_token(session, args.org, args.label)
    print(issued.secret)
    return 0


def _token_list(args: argparse.Namespace, settings: Settings) -> int:
    with _unit_of_work(settings) as session:
        get_organisation(session, args.org)
        for token in list_tokens(session, args.org):
            state = "revoked" if token.revoked_at else "active"
            last_used = token.last_used_at.isoformat() if token.last_used_at else "never"
            print(
                f"{token.id}\t{state}\t{token.label or '-'}"
                f"\tcreated={token.created_at.isoformat()}\tlast_used={last_used}"
            )
    return 0


def _token_revoke(args: argparse.Namespace, settings: Settings) -> int:
    with _unit_of_work(settings) as session:
        revoke_token(session, args.token_id)
    print(f"token {args.token_id} revoked", file=sys.stderr)
    return 0


def _client_create(args: argparse.Namespace, settings: Settings) -> int:
    with _unit_of_work(settings) as session:
        get_organisation(session, args.org)
        issued = register_client(session, args.org, args.label)
        client_id = issued.record.client_id
    print(f"client_id={client_id}")
    print(f"client_secret={issued.secret}")
    print("the client secret is shown once; only its digest is stored", file=sys.stderr)
    return 0


def _client_list(args: argparse.Namespace, settings: Settings) -> int:
    with _unit_of_work(settings) as session:
        get_organisation(session, args.org)
        for client in list_clients(session, args.org):
            state = "revoked" if client.revoked_at else "active"
            last_used = client.last_used_at.isoformat() if client.last_used_at else "never"
            print(
                f"{client.client_id}\t{state}\t{client.label or '-'}"
                f"\tcreated={client.created_at.isoformat()}\tlast_used={last_used}"
            )
    return 0


def _client_revoke(args: argparse.Namespace, settings: Settings) -> int:
    with _unit_of_work(settings) as session:
        revoke_client(session, args.client_id)
    print(f"client {args.client_id} revoked", file=sys.stderr)
    return 0


def _demo(args: argparse.Namespace, settings: Settings) -> int:
    """Ensure the demo organisation exists and a token for it is saved; print both."""
    with _unit_of_work(settings) as session:
        existing = [o for o in list_organisations(session) if o.name == DEMO_ORGANISATION]
        organisation = existing[0] if existing else create_organisation(session, DEMO_ORGANISATION)
        secret = DEMO_TOKEN_FILE.read_text().strip() if DEMO_TOKEN_FILE.exists() else ""
        token = verify_token(session, secret) if secret else None
        if token is None or token.org_id != organisation.id:
            secret = issue_token(session, organisation.id, "make run").secret
            DEMO_TOKEN_FILE.parent.mkdir(parents=True, exist_ok=True)
            DEMO_TOKEN_FILE.touch(mode=0o600)
            DEMO_TOKEN_FILE.write_text(secret + "\n")
        org_id = organisation.id
    port = os.environ.get("PORT", "8000")
    print(f"Organisation: {DEMO_ORGANISATION} (id {org_id})")
    print(f"SCIM base URL: http://127.0.0.1:{port}/scim/v2")
    print(f"SCIM token:    {secret}")
    if settings.uses_development_secret:
        print(
            "Development mode: using an insecure built-in secret key; never use it in production."
        )
    return 0


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    serve(host=args.host, port=args.port, workers=args.workers)
    return 0


if __name__ == "__main__":
    sys.exit(main())
