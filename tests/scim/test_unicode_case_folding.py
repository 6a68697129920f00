"""One rule for case-insensitive names on both engines: NFC, Unicode case fold, NFC, stored in an
indexed column (scim_server/protocol/case_folding.py; docs/scim.md, "Case and Unicode")."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import text

from kinabase.database import make_engine
from kinabase.names import fold_case as kinabase_fold_case
from kinabase_m365 import migrate
from scim_server.protocol.case_folding import fold_case
from tests.conftest import Provisioned
from tests.scim.test_http_edge import assert_scim_error
from tests.scim_client import GROUP_SCHEMA, USER_SCHEMA

NFC_E = unicodedata.normalize("NFC", "é")
NFD_E = unicodedata.normalize("NFD", "é")
DOTTED_I = "\u0130"  # İ, which folds to i + U+0307


@given(st.text())
def test_the_protocol_and_kinabase_fold_alike(value: str) -> None:
    assert fold_case(value) == kinabase_fold_case(value)
    assert fold_case(fold_case(value)) == fold_case(value)


def _user(user_name: str, **extra: object) -> dict[str, object]:
    """A user without email (stored, projected onto nothing): only userName can clash."""
    return {"schemas": [USER_SCHEMA], "userName": user_name, **extra}


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("Ärger", "ärger"),
        ("Ä" + "rger", "A\u0308rger"),  # precomposed and decomposed
        (f"Jos{NFC_E}", f"JOS{NFD_E.upper()}"),
        ("Straße", "STRASSE"),
        (f"{DOTTED_I}nes", "i\u0307nes"),
        ("ΣΊΣΥΦΟΣ", "σίσυφος"),
    ],
)
def test_user_names_that_fold_alike_are_one(acme: Provisioned, first: str, second: str) -> None:
    assert acme.scim.post("/Users", _user(first)).status_code == 201
    assert_scim_error(acme.scim.post("/Users", _user(second)), 409, "uniqueness")
    for written in (first, second, second.upper(), unicodedata.normalize("NFD", second)):
        found = acme.scim.filter("/Users", f'userName eq "{written}"').json
        assert [r["userName"] for r in found["Resources"]] == [first], written


def test_dotted_capital_i_is_not_i(acme: Provisioned) -> None:
    assert acme.scim.post("/Users", _user(f"{DOTTED_I}nes")).status_code == 201
    assert acme.scim.post("/Users", _user("ines")).status_code == 201
    found = acme.scim.filter("/Users", 'userName eq "INES"').json
    assert [r["userName"] for r in found["Resources"]] == ["ines"]


def test_other_operators_and_sorting_use_the_same_rule(acme: Provisioned) -> None:
    for name in ("Straße", "ärger", "Zoë", f"Jos{NFD_E}"):
        assert acme.scim.post("/Users", _user(name)).status_code == 201

    def names(expression: str, extra: str = "") -> list[str]:
        body = acme.scim.filter("/Users", expression, extra).json
        return [r["userName"] for r in body["Resources"]]

    assert names('userName sw "STRAS"') == ["Straße"]
    assert names('userName co "RGE"') == ["ärger"]
    assert names(f'userName ew "S{NFC_E}"') == [f"Jos{NFD_E}"]
    assert names('userName ne "ÄRGER"', "&sortBy=userName") == [f"Jos{NFD_E}", "Straße", "Zoë"]
    assert names('userName gt "strasse"') == ["ärger", "Zoë"]  # code points: ä after s


def test_group_names_fold_alike(acme: Provisioned) -> None:
    group = {"schemas": [GROUP_SCHEMA], "displayName": "Äbteilung Süd"}
    assert acme.scim.post("/Groups", group).status_code == 201
    clash = {"schemas": [GROUP_SCHEMA], "displayName": "A\u0308BTEILUNG SU\u0308D"}
    assert_scim_error(acme.scim.post("/Groups", clash), 409, "uniqueness")
    found = acme.scim.filter("/Groups", 'displayName eq "äbteilung süd"').json
    assert found["totalResults"] == 1


def test_kinabase_emails_fold_alike(acme: Provisioned) -> None:
    first = _user("first", emails=[{"value": f"Jos{NFC_E}@acme.test", "primary": True}])
    second = _user("second", emails=[{"value": f"JOS{NFD_E.upper()}@ACME.TEST", "primary": True}])
    assert acme.scim.post("/Users", first).status_code == 201
    response = acme.scim.post("/Users", second)
    assert_scim_error(response, 409, "uniqueness")
    assert "email" in response.json["detail"].lower()


def test_the_migration_backfills_keys_and_refuses_clashes(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    migrate.upgrade(url, "0006")  # the revision before case folding
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            # Rows as the schema of that revision has them: today's models may have more columns.
            org_id = connection.execute(
                text(
                    "INSERT INTO organisations (name, licence_seats, password_sign_in, "
                    "microsoft_sign_in, file_storage_provider, created_at) "
                    "VALUES ('Acme', 25, true, false, 'builtin', '2026-01-01') RETURNING id"
                )
            ).scalar_one()
            connection.execute(
                text(
                    "INSERT INTO scim_users (id, org_id, user_name, version, created, "
                    "last_modified, resource) VALUES ('u1', :org, :name, 1, '2026-01-01', "
                    "'2026-01-01', '{}')"
                ),
                {"org": org_id, "name": "Straße"},
            )
        migrate.upgrade(url)
        with engine.connect() as connection:
            folded = connection.execute(text("SELECT user_name_folded FROM scim_users")).scalar()
        assert folded == "strasse"

        migrate.downgrade(url, "0006")
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO scim_users (id, org_id, user_name, version, created, "
                    "last_modified, resource) VALUES ('u2', :org, 'STRASSE', 1, '2026-01-01', "
                    "'2026-01-01', '{}')"
                ),
                {"org": org_id},
            )
        with pytest.raises(RuntimeError, match="not by case folding"):
            migrate.upgrade(url)
    finally:
        engine.dispose()
