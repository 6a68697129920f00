"""`kinabase-m365 org disconnect --org ID`: the operator disconnects an organisation's tenant.

For an organisation whose Administrators cannot sign in to do it themselves, or a tenant bound
by mistake. Users and records are kept; the organisation allows password sign-in instead
(`sso.disconnect`). The disconnection is logged, and the old tenant id printed on stderr.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from sqlalchemy.orm import Session

from kinabase.organisations import get_organisation
from kinabase_m365.settings import Settings
from sso.disconnect import disconnect_tenant

UnitOfWork = Callable[[Settings], AbstractContextManager[Session]]


def add_disconnect_command(org_actions: Any, unit_of_work: UnitOfWork) -> None:
    """Add `org disconnect` to the `org` command's actions."""
    disconnect = org_actions.add_parser(
        "disconnect", help="disconnect the organisation's Microsoft 365 tenant (users are kept)"
    )
    disconnect.add_argument("--org", type=int, required=True, help="organisation id")

    def run(args: argparse.Namespace, settings: Settings) -> int:
        with unit_of_work(settings) as session:
            organisation = get_organisation(session, args.org)
            tenant_id = disconnect_tenant(session, organisation, f"operator {_operator()}")
        if tenant_id is None:
            print(f"organisation {args.org} was not connected to Microsoft 365", file=sys.stderr)
        else:
            print(f"organisation {args.org} disconnected from tenant {tenant_id}", file=sys.stderr)
        return 0

    disconnect.set_defaults(handler=run)


def _operator() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "(unknown)"
