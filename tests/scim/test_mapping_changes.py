"""Mapping changes reach users already provisioned (DESIGN: not only new ones)."""

from __future__ import annotations

from sqlalchemy import Engine

from kinabase.colleagues import add_colleague_field
from kinabase.collections import FieldType
from kinabase.database import make_sessionmakers
from kinabase_m365.cli import main as cli
from tests.conftest import Provisioned
from tests.kinabase_view import KinabaseView
from tests.scim_client import GROUP_SCHEMA, entra_user

COST_CENTRE = "urn:ietf:params:scim:schemas:extension:CustomExt:2.0:User:costCentre"


def test_a_new_field_mapping_fills_existing_colleagues(
    acme: Provisioned, engine: Engine, cli_env: str
) -> None:
    body = entra_user("ada@acme.test", "Ada", "Lovelace", "ada")
    body["urn:ietf:params:scim:schemas:extension:CustomExt:2.0:User"] = {"costCentre": "CC-42"}
    ada = acme.scim.post("/Users", body).json
    # Entra's custom extension attributes round-trip even before anything maps them.
    stored = acme.scim.get(f"/Users/{ada['id']}").json
    assert stored["urn:ietf:params:scim:schemas:extension:CustomExt:2.0:User"] == {
        "costCentre": "CC-42"
    }
    _, write_sessions = make_sessionmakers(engine)
    with write_sessions() as session:
        add_colleague_field(session, acme.org_id, "costCentre", "Cost Centre", FieldType.TEXT)
        session.commit()

    assert (
        cli(
            [
                "mapping",
                "set",
                "--org",
                str(acme.org_id),
                "--field",
                "costCentre",
                "--source",
                COST_CENTRE,
            ]
        )
        == 0
    )

    seen = KinabaseView(engine, acme.org_id).user("ada@acme.test")
    assert seen is not None and seen.colleague["costCentre"] == "CC-42"

    assert cli(["mapping", "unset", "--org", str(acme.org_id), "--field", "jobTitle"]) == 0
    patch = [{"op": "replace", "path": "title", "value": "Engineer"}]
    assert acme.scim.patch(f"/Users/{ada['id']}", patch).status_code == 200
    seen = KinabaseView(engine, acme.org_id).user("ada@acme.test")
    assert seen is not None and "jobTitle" not in seen.colleague


def test_a_rule_added_later_applies_to_the_group_members(
    acme: Provisioned, engine: Engine, cli_env: str
) -> None:
    ada = acme.scim.post("/Users", entra_user("ada@acme.test", "Ada", "L", "ada")).json
    acme.scim.post(
        "/Groups",
        {"schemas": [GROUP_SCHEMA], "displayName": "Support", "members": [{"value": ada["id"]}]},
    )
    assert cli(["role", "add", "--org", str(acme.org_id), "--name", "Helpdesk"]) == 0

    assert (
        cli(["rule", "add", "--org", str(acme.org_id), "--group", "support", "--role", "Helpdesk"])
        == 0
    )

    seen = KinabaseView(engine, acme.org_id).user("ada@acme.test")
    assert seen is not None and seen.roles == ("Helpdesk",)
