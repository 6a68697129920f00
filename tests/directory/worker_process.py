"""`kinabase-m365 worker` over an emulated cloud, in a process of its own: the service's real
Huey consumer (`jobs.queue.run_worker`), its Microsoft traffic routed to the emulators.

    python -m tests.directory.worker_process SPEC.json

The spec (written by `write_spec`) holds the service's settings, the app registration, the
tenants with their users, and Graph faults. Tests start it, wait for it, and kill it.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from jobs.queue import run_worker
from kinabase_m365.app import create_app
from tests.emulators import emulate_microsoft
from tests.emulators.cloud import AppRegistration, DirectoryUser, MicrosoftCloud


def write_spec(
    path: Path,
    settings: dict[str, Any],
    registration: AppRegistration,
    tenants: list[Any],
    *,
    faults: Sequence[dict[str, Any]] = (),
    page_size: int = 100,
) -> Path:
    """Describe the worker's world in a JSON file."""
    spec = {
        "settings": settings,
        "client_id": registration.client_id,
        "client_secret": registration.client_secret,
        "page_size": page_size,
        "faults": list(faults),
        "tenants": [
            {
                "tenant_id": tenant.tenant_id,
                "domain": tenant.domain,
                "users": [
                    {
                        "object_id": u.object_id,
                        "upn": u.user_principal_name,
                        "display_name": u.display_name,
                        "mail": u.mail,
                        "manager_id": u.manager_id,
                        "account_enabled": u.account_enabled,
                    }
                    for u in tenant.users.values()
                ],
            }
            for tenant in tenants
        ],
    }
    path.write_text(json.dumps(spec))
    return path


def main(spec_path: str) -> None:
    spec = json.loads(Path(spec_path).read_text())
    cloud = MicrosoftCloud(page_size=spec["page_size"])
    registration = AppRegistration(spec["client_id"], spec["client_secret"], [])
    cloud.apps[registration.client_id] = registration
    for described in spec["tenants"]:
        tenant = cloud.add_tenant(described["domain"], described["tenant_id"])
        for user in described["users"]:
            tenant.users[user["object_id"]] = DirectoryUser(
                tenant.tenant_id,
                user["upn"],
                user["display_name"],
                mail=user["mail"],
                manager_id=user["manager_id"],
                account_enabled=user["account_enabled"],
                object_id=user["object_id"],
            )
        cloud.grant_consent(tenant.tenant_id, registration.client_id)
    for fault in spec["faults"]:
        cloud.faults.graph_fault(**fault)
    app = create_app(spec["settings"], http_session=emulate_microsoft(cloud).session)
    run_worker(app, workers=1)


if __name__ == "__main__":
    main(sys.argv[1])
