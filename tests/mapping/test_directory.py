"""Reading the canonical SCIM User (RFC 7643 §4.1, §4.3) into what the mapping needs."""

from __future__ import annotations

from scim_server.mapping import ENTERPRISE_USER, directory_user_from_resource
from tests.mapping.conftest import directory_user, user_resource


def test_reads_entra_shaped_user() -> None:
    resource = user_resource(
        "u1", "ada@acme.test", title="Engineer", manager="m1", department="R&D"
    )
    resource["photos"] = [
        {"type": "thumbnail", "value": "https://photos.test/ada-small.jpg"},
        {"type": "photo", "value": "https://photos.test/ada.jpg"},
    ]

    user = directory_user_from_resource(resource)

    assert (user.directory_id, user.user_name, user.active) == ("u1", "ada@acme.test", True)
    assert (user.given_name, user.family_name) == ("Ada", "Lovelace")
    assert user.display_name == "Ada Lovelace"
    assert user.email == "ada@acme.test"
    assert user.title == "Engineer"
    assert user.photo_url == "https://photos.test/ada.jpg"
    assert user.manager_directory_id == "m1"
    assert user.value_at(f"{ENTERPRISE_USER}:department") == "R&D"


def test_email_is_primary_else_work_else_first() -> None:
    emails = [
        {"type": "home", "value": "home@ada.test"},
        {"type": "work", "value": "work@ada.test"},
        {"type": "other", "value": "primary@ada.test", "primary": True},
    ]
    picks = []
    for count in (3, 2, 1):
        resource = user_resource("u1", None, emails=emails[:count])
        picks.append(directory_user_from_resource(resource).email)
    assert picks == ["primary@ada.test", "work@ada.test", "home@ada.test"]


def test_empty_strings_and_string_booleans_as_entra_sends_them() -> None:
    resource = user_resource("u1", "ada@acme.test", title="", active=True)
    resource["active"] = "False"
    resource[ENTERPRISE_USER]["manager"] = ""

    user = directory_user_from_resource(resource)

    assert user.active is False
    assert user.title is None
    assert user.manager_directory_id is None


def test_manager_as_a_bare_string_and_absent_active() -> None:
    resource = user_resource("u1", "ada@acme.test")
    resource[ENTERPRISE_USER]["manager"] = "m7"
    del resource["active"]

    user = directory_user_from_resource(resource)

    assert user.manager_directory_id == "m7"
    assert user.active is True


def test_email_address_falls_back_to_an_address_like_user_name() -> None:
    with_address = directory_user("u1", None, userName="ada@acme.onmicrosoft.com")
    without = directory_user("u2", None, userName="ada")

    assert with_address.email is None
    assert with_address.email_address == "ada@acme.onmicrosoft.com"
    assert without.email_address is None
