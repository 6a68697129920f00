"""One organisation's token can never see, change or reference another's resources."""

from __future__ import annotations

from tests.conftest import Provisioned
from tests.scim_client import ENTERPRISE, GROUP_SCHEMA, entra_user


def test_every_endpoint_is_scoped_to_the_token_organisation(
    acme: Provisioned, globex: Provisioned
) -> None:
    theirs = globex.scim.post("/Users", entra_user("eve@globex.test", "Eve", "X", "eve")).json
    their_group = globex.scim.post(
        "/Groups", {"schemas": [GROUP_SCHEMA], "displayName": "Globex staff"}
    ).json
    mine = acme.scim.post("/Users", entra_user("ada@acme.test", "Ada", "L", "ada")).json
    my_group = acme.scim.post("/Groups", {"schemas": [GROUP_SCHEMA], "displayName": "Acme"}).json
    patch = [{"op": "replace", "path": "displayName", "value": "hacked"}]

    for path in (f"/Users/{theirs['id']}", f"/Groups/{their_group['id']}"):
        assert acme.scim.get(path).status_code == 404
        assert acme.scim.patch(path, patch).status_code == 404
        assert acme.scim.put(path, {"userName": "x", "displayName": "x"}).status_code == 404
        assert acme.scim.delete(path).status_code == 404
    assert acme.scim.get("/Users").json["totalResults"] == 1
    assert acme.scim.filter("/Users", 'userName eq "eve@globex.test"').json["totalResults"] == 0
    assert acme.scim.filter("/Groups", 'displayName eq "Globex staff"').json["totalResults"] == 0
    search = acme.scim.post("/.search", {"filter": 'id eq "' + theirs["id"] + '"'})
    assert search.json["totalResults"] == 0

    # Their users cannot be my group's members or my user's manager, and the answer is the
    # same as for an id that exists nowhere.
    add = [{"op": "add", "path": "members", "value": [{"value": theirs["id"]}]}]
    response = acme.scim.patch(f"/Groups/{my_group['id']}", add)
    assert response.status_code == 400 and response.json["scimType"] == "invalidValue"
    manager = [{"op": "add", "path": f"{ENTERPRISE}:manager", "value": theirs["id"]}]
    response = acme.scim.patch(f"/Users/{mine['id']}", manager)
    assert response.status_code == 400 and response.json["scimType"] == "invalidValue"

    assert globex.scim.get(f"/Users/{theirs['id']}").json["displayName"] == "Eve X"
    assert globex.scim.get(f"/Groups/{their_group['id']}").json["displayName"] == "Globex staff"
