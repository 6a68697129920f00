"""Migration 0016 gives organisations that existed before it the built-in Contacts and
Organisations collections, designated, as a new organisation gets them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import text

from kinabase.contacts import (
    DEFAULT_CONTACT_FIELDS,
    DEFAULT_ORGANISATION_FIELDS,
    create_contact,
    create_organisation_record,
    designated_collections,
)
from kinabase.database import make_engine, make_sessionmakers
from kinabase_m365 import migrate

pytestmark = pytest.mark.filterwarnings("ignore:Skipped unsupported reflection")


SCHEMA = "migration_0016_check"  # PostgreSQL: a schema of its own, beside the suite's


def _urls(tmp_path: Path) -> list[str]:
    urls = [f"sqlite:///{tmp_path / 'before.db'}"]
    base = os.environ.get("TEST_DATABASE_URL")
    if base:
        urls.append(base + ("&" if "?" in base else "?") + f"options=-csearch_path%3D{SCHEMA}")
    return urls


def _reset(url: str, *, keep: bool = True) -> None:
    if url.startswith("postgresql"):
        engine = make_engine(url.partition("?")[0])
        with engine.begin() as connection:
            connection.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
            if keep:
                connection.execute(text(f"CREATE SCHEMA {SCHEMA}"))
        engine.dispose()


@pytest.mark.parametrize("engine_name", ["sqlite", "postgresql"])
def test_existing_organisations_get_the_collections_designated(
    tmp_path: Path, engine_name: str
) -> None:
    urls = [u for u in _urls(tmp_path) if u.startswith(engine_name)]
    if not urls:
        pytest.skip("PostgreSQL runs when TEST_DATABASE_URL is set")
    (url,) = urls
    _reset(url)
    try:
        migrate.upgrade(url, "0015")
        engine = make_engine(url)
        with engine.begin() as connection:
            for name in ("Acme", "Globex"):
                connection.execute(
                    text(
                        "INSERT INTO organisations (name, licence_seats, seats_in_use, "
                        "password_sign_in, microsoft_sign_in, file_storage_provider, created_at) "
                        "VALUES (:name, 5, 0, true, false, 'builtin', CURRENT_TIMESTAMP)"
                    ),
                    {"name": name},
                )
        engine.dispose()

        migrate.upgrade(url)

        engine = make_engine(url)
        _, write = make_sessionmakers(engine)
        with write() as session:
            for org_id in (1, 2):
                designated = designated_collections(session, org_id)
                assert designated.contacts is not None and designated.organisations is not None
                assert designated.contacts.org_id == org_id
                assert designated.contacts.slug == "contacts"
                keys = session.execute(
                    text("SELECT key FROM fields WHERE collection_id = :c ORDER BY id"),
                    {"c": designated.contacts.id},
                ).scalars()
                assert list(keys) == [key for key, *_ in DEFAULT_CONTACT_FIELDS]
                assert designated.organisations.slug == "organisations"
                assert (
                    len(DEFAULT_ORGANISATION_FIELDS)
                    == session.execute(
                        text("SELECT count(*) FROM fields WHERE collection_id = :c"),
                        {"c": designated.organisations.id},
                    ).scalar_one()
                )
            # The backfilled collections work as a new organisation's do: the link field
            # points at the organisations collection.
            engines = create_organisation_record(session, 2, name="Engines", domain="e.example")
            contact = create_contact(
                session, 2, name="Ada", email="ada@e.example", organisation_id=engines.id
            )
            assert contact.data["emails"] == ["ada@e.example"]
            session.commit()
        engine.dispose()
        migrate.downgrade(url, "0015")
    finally:
        _reset(url, keep=False)
