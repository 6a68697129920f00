"""The packages depend on each other only in the directions docs/architecture.md draws."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROJECT = ("kinabase", "kinabase_m365", "scim_server", "sso")

# package → top-level names (project packages and third-party libraries) it must not import
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "kinabase": ("kinabase_m365", "scim_server", "sso", "flask", "msal", "requests"),
    "scim_server/protocol": ("kinabase", "kinabase_m365", "sso", "flask", "sqlalchemy"),
    "scim_server/store": (
        "kinabase_m365",
        "sso",
        "flask",
        "scim_server.resources",
        "scim_server.mapping",
    ),
    "scim_server/mapping": (
        "kinabase_m365",
        "sso",
        "flask",
        "scim_server.resources",
        "scim_server.store",
    ),
    "scim_server/provisioning": (
        "kinabase_m365",
        "sso",
        "flask",
        "scim_server.resources",
    ),
    # The HTTP edge parses, calls the provisioning service and renders: no use case of its own.
    "scim_server/resources": ("scim_server.store", "scim_server.mapping"),
    "sso": ("scim_server",),
}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_the_directory_commands_call_the_provisioning_service() -> None:
    imported = imported_modules(ROOT / "kinabase_m365" / "directory_commands.py")
    reaching_in = sorted(
        module
        for module in imported
        if module.startswith(("scim_server.store", "scim_server.mapping", "scim_server.resources"))
    )
    assert reaching_in == []
    assert any(module.startswith("scim_server.provisioning") for module in imported)


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_does_not_import_what_it_must_not(package: str) -> None:
    offenders = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for module in imported_modules(path):
            for forbidden in FORBIDDEN[package]:
                if module == forbidden or module.startswith(forbidden + "."):
                    offenders.append(f"{path.relative_to(ROOT)} imports {module}")
    assert offenders == []
