"""The packages depend on each other only in the directions docs/architecture.md draws."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROJECT = (
    "kinabase",
    "kinabase_m365",
    "scim_server",
    "sso",
    "graph",
    "files",
    "directory",
    "jobs",
    "admin",
    "console",
    "outlook",
)
FEATURES = (
    "scim_server",
    "sso",
    "graph",
    "files",
    "directory",
    "jobs",
    "admin",
    "console",
    "outlook",
)
# The modules that wire the features together; no feature, and no part of the shell the features
# import, may depend on them.
WIRING = ("kinabase_m365.app", "kinabase_m365.cli", "kinabase_m365.server", "kinabase_m365.migrate")

# package or module → names (project packages, modules, third-party libraries) it must not import
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "kinabase": ("kinabase_m365", *FEATURES, "flask", "msal", "requests"),
    # The shell: importing the package, or the part of it that features use, never brings in the
    # factory or a feature.
    "kinabase_m365/__init__.py": ("kinabase_m365", *FEATURES),
    "kinabase_m365/settings.py": (*FEATURES, *WIRING),
    "kinabase_m365/database.py": (*FEATURES, *WIRING),
    "kinabase_m365/runtime.py": (*FEATURES, *WIRING),
    "kinabase_m365/metrics.py": (*FEATURES, *WIRING),
    "kinabase_m365/request_log.py": (*FEATURES, *WIRING),
    "scim_server": (
        "sso",
        "graph",
        "files",
        "directory",
        "jobs",
        "admin",
        "console",
        "outlook",
        *WIRING,
    ),
    "scim_server/protocol": ("kinabase", "kinabase_m365", "sso", "graph", "flask", "sqlalchemy"),
    "scim_server/store": (
        "kinabase_m365",
        "sso",
        "graph",
        "flask",
        "scim_server.resources",
        "scim_server.mapping",
    ),
    "scim_server/mapping": (
        "kinabase_m365",
        "sso",
        "graph",
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
    "scim_server/resources": ("scim_server.store", "scim_server.mapping", *WIRING),
    # Sign-in links to the console's pages by path, never by importing them.
    "sso": ("scim_server", "files", "directory", "jobs", "admin", "console", "outlook", *WIRING),
    # Files use sign-in's sessions, the Microsoft client and the jobs (the migration); never SCIM.
    "files": ("scim_server", "directory", "admin", "console", "outlook", *WIRING),
    # The Microsoft client knows nothing of sign-in, and of SCIM only what it may call.
    "graph": (
        "sso",
        "files",
        "directory",
        "jobs",
        "admin",
        "console",
        "outlook",
        "scim_server.resources",
        "scim_server.store",
        "scim_server.mapping",
        *WIRING,
    ),
    # The directory pull: Graph's reads in, the provisioning service (and the protocol's parser)
    # out; no HTTP of its own, and no way around the one path to Kinabase.
    "directory": (
        "flask",
        "sso",
        "admin",
        "console",
        "outlook",
        "scim_server.resources",
        "scim_server.store",
        "scim_server.mapping",
        *WIRING,
    ),
    # Jobs know how to run a job, not what any job does: features hand them their handlers.
    "jobs": (
        "scim_server",
        "sso",
        "graph",
        "directory",
        "files",
        "admin",
        "console",
        "outlook",
        *WIRING,
    ),
    # Admin pages call the features' use cases and sign-in's session checks.
    "admin": ("scim_server", "outlook", *WIRING),
    # The console's pages call the features' use cases (the provisioning service, never the SCIM
    # store, mapping or HTTP edge) and sign-in's sessions.
    "console": (
        "scim_server.store",
        "scim_server.mapping",
        "scim_server.resources",
        "outlook",
        *WIRING,
    ),
    # The add-in API authenticates by bearer tokens of its own (never sign-in's cookie sessions),
    # stores attachments through the files' use cases and reads Microsoft through its client.
    "outlook": ("scim_server", "sso", "directory", "jobs", "admin", "console", *WIRING),
    # Its token checks take plain values and the HTTP session: no Flask, no database.
    "outlook/tokens.py": ("flask", "sqlalchemy", "kinabase", "kinabase_m365"),
    # Its use cases are called with a session and a user: no Flask either.
    "outlook/matching.py": ("flask", "kinabase_m365"),
    "outlook/emails.py": ("flask",),
    # The add-in's pages (manifest, icons, task pane) read settings only: what the pane shows
    # comes from the add-in's API, in the browser.
    "outlook/pages.py": (
        "kinabase",
        "scim_server",
        "sso",
        "graph",
        "files",
        "directory",
        "jobs",
        "admin",
        "console",
        "sqlalchemy",
        *WIRING,
    ),
    # The manifest's values and the icons are plain functions of settings' values.
    "outlook/manifest.py": ("kinabase", "kinabase_m365", "flask", "sqlalchemy", "outlook.pages"),
    "outlook/icons.py": ("kinabase", "kinabase_m365", "flask", "sqlalchemy", "outlook.pages"),
}


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports; `from a import b` counts as `a` and as `a.b` (b may be a
    module: `from kinabase_m365 import app`)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
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


def test_the_directory_pull_writes_through_the_provisioning_service() -> None:
    imported = set().union(*(imported_modules(path) for path in source_files("directory")))
    scim = sorted(module for module in imported if module.startswith("scim_server"))
    assert all(
        module.startswith(("scim_server.provisioning", "scim_server.protocol")) for module in scim
    )
    assert "scim_server.provisioning.users.create_user" in imported
    assert "scim_server.provisioning.users.replace_user" in imported
    assert "scim_server.protocol.resource.parse_resource" in imported


def source_files(package: str) -> list[Path]:
    """The Python files of a package (all of them, at any depth) or of one module."""
    path = ROOT / package
    return [path] if path.suffix == ".py" else sorted(path.rglob("*.py"))


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_does_not_import_what_it_must_not(package: str) -> None:
    files = source_files(package)
    assert files, f"{package} has no Python files: the table names something that is not there"
    offenders = []
    for path in files:
        for module in imported_modules(path):
            for forbidden in FORBIDDEN[package]:
                if module == forbidden or module.startswith(forbidden + "."):
                    offenders.append(f"{path.relative_to(ROOT)} imports {module}")
    assert offenders == []


def test_the_check_sees_every_form_of_import(tmp_path: Path) -> None:
    module = tmp_path / "module.py"
    module.write_text(
        "import kinabase_m365.app\n"
        "from kinabase_m365 import cli\n"
        "from kinabase_m365.server import serve\n"
        "def later():\n"
        "    from kinabase_m365 import migrate\n",
        encoding="utf-8",
    )

    found = {name for name in imported_modules(module) for wired in WIRING if name == wired}

    assert found == set(WIRING)
