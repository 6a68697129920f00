"""The request bodies Microsoft Entra ID's provisioning service sends.

The shapes follow shared/reference/entra-provisioning.md, section 1: a user POST carries both
schemas, the client-sent `meta`, `emails`, `name` and an empty `roles`; the manager goes out in a
second pass as a PATCH whose value is a plain string id; group members are added with
`{"op": "Add", "path": "members", "value": [{"$ref": null, "value": id}, ...]}` and removed with the
`aadOptscim062020` form `members[value eq "id"]`.

scim2-server refuses two of Entra's shapes, so its `Dialect` adapts them and the report says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE_USER = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
MICROSOFT_GROUP_SCHEMA = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"

MEMBER_BATCH = 100  # Entra adds group members in PATCHes of up to 100 values.


@dataclass(frozen=True)
class Dialect:
    """How far a server needs Entra's shapes bent before it accepts them."""

    manager_as_object: bool = False  # send `{"value": id}` instead of Entra's plain string
    microsoft_group_schema: bool = True  # keep Entra's extra Microsoft schema URI on group POST

    def adaptations(self) -> list[str]:
        """Plain-language notes on every shape that differs from what Entra sends."""
        notes = []
        if self.manager_as_object:
            notes.append('manager PATCH value sent as {"value": id}, not Entra\'s plain string')
        if not self.microsoft_group_schema:
            notes.append(
                f"group POST sent without Entra's extra schema URI {MICROSOFT_GROUP_SCHEMA}"
            )
        return notes


ENTRA = Dialect()
SCIM2_SERVER = Dialect(manager_as_object=True, microsoft_group_schema=False)


def user_name(run: str, index: int) -> str:
    """The userName (a UPN) of the index-th benchmark user of a run."""
    return f"bench.{run}.{index:06d}@example.com"


def create_user(run: str, index: int) -> dict[str, Any]:
    """`POST /Users` as Entra sends it, with a job title (DOC "Create User")."""
    given, family = f"Given{index}", f"Family{index}"
    name = user_name(run, index)
    return {
        "schemas": [USER_SCHEMA, ENTERPRISE_USER],
        "externalId": f"{run}-{index:08d}-0000-4000-8000-000000000000",
        "userName": name,
        "active": True,
        "displayName": f"{given} {family}",
        "title": "Engineer",
        "emails": [{"primary": True, "type": "work", "value": name}],
        "meta": {"resourceType": "User"},
        "name": {"formatted": f"{given} {family}", "familyName": family, "givenName": given},
        "roles": [],
        ENTERPRISE_USER: {"department": "Research", "employeeNumber": str(index)},
    }


def patch(*operations: dict[str, Any]) -> dict[str, Any]:
    """A PatchOp message (RFC 7644 §3.5.2)."""
    return {"schemas": [PATCH_OP], "Operations": list(operations)}


def set_manager(manager_id: str, dialect: Dialect) -> dict[str, Any]:
    """The second-pass PATCH that links a user to its manager (Entra sends a plain string)."""
    value: Any = {"value": manager_id} if dialect.manager_as_object else manager_id
    return patch({"op": "Add", "path": f"{ENTERPRISE_USER}:manager", "value": value})


def replace_title(title: str) -> dict[str, Any]:
    """A single-valued replace, with Entra's capitalised op."""
    return patch({"op": "Replace", "path": "title", "value": title})


def create_group(run: str, name: str, dialect: Dialect) -> dict[str, Any]:
    """`POST /Groups` as Entra sends it: no members, Entra's extra schema URI (DOC)."""
    schemas = [GROUP_SCHEMA]
    if dialect.microsoft_group_schema:
        schemas.append(MICROSOFT_GROUP_SCHEMA)
    return {
        "schemas": schemas,
        "externalId": f"{run}-group-{name}",
        "displayName": f"bench {run} {name}",
        "meta": {"resourceType": "Group"},
    }


def add_members(member_ids: list[str]) -> dict[str, Any]:
    """Entra's add-members PATCH: one operation whose value lists the members, `$ref` null."""
    return patch(
        {
            "op": "Add",
            "path": "members",
            "value": [{"$ref": None, "value": member_id} for member_id in member_ids],
        }
    )


def remove_member(member_id: str) -> dict[str, Any]:
    """Entra's remove-member PATCH in its compliant form (`aadOptscim062020`)."""
    return patch({"op": "Remove", "path": f'members[value eq "{member_id}"]'})


def user_name_filter(name: str) -> str:
    """The query string of Entra's match request, encoded as Entra does (spaces as '+')."""
    return "filter=" + quote(f'userName eq "{name}"', safe="").replace("%20", "+")
