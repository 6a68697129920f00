"""A built wheel carries the SCIM schema documents, and discovery reads them from an install.

The wheel is built from a copy of the source tree (so that the build leaves no `build/` or
`*.egg-info` behind in the work tree) with the virtual environment's own setuptools, offline:
`--no-build-isolation --no-index`, and pip's version check off. It is then installed with
`--target` into a directory of its own, and a fresh interpreter that finds the project there,
ahead of the editable install, loads the registry and the discovery documents. Building and
installing take about two seconds.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from fnmatch import fnmatch
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# What a build of the project does not read; leaving it out keeps the copy small and fast.
NOT_SOURCE = shutil.ignore_patterns(
    ".git",
    ".venv",
    "instance",
    "build",
    "dist",
    "*.egg-info",
    "__pycache__",
    ".*_cache",
    ".hypothesis",
    "tests",
    "benchmarks",
)
PIP_ENV = {"PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INPUT": "1", "PIP_CONFIG_FILE": os.devnull}

# Run by the installed copy: where the modules came from, and what discovery serves.
PROBE = """
import json
import schemas
from scim_server.protocol import discovery

registry = discovery.load_registry()
config = discovery.service_provider_config(
    7, bulk_max_operations=1, bulk_max_payload_size=1, cursor_timeout=60
)
print(json.dumps({
    "schemas_package": schemas.__file__,
    "discovery_module": discovery.__file__,
    "resource_types": [r.name for r in registry.resource_types],
    "schema_ids": [d["id"] for d in discovery.schema_documents()],
    "max_results": config["filter"]["maxResults"],
}))
"""


def _pip(*args: str | Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pip", "--quiet", *map(str, args)],
        check=False,
        capture_output=True,
        text=True,
        env={**os.environ, **PIP_ENV},
    )
    # Without setuptools>=70.1 in the environment (the dev extras), the build fails here.
    assert done.returncode == 0, f"pip {' '.join(map(str, args))} failed:\n{done.stderr}"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel of the project as it stands in the work tree."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    shutil.copytree(ROOT, source, ignore=NOT_SOURCE)
    _pip("wheel", "--no-deps", "--no-build-isolation", "--no-index", "-w", work / "dist", source)
    (built,) = (work / "dist").glob("kinabase_m365-*.whl")
    return built


def test_wheel_contains_every_schema_document(wheel: Path) -> None:
    documents = sorted(path.name for path in (ROOT / "schemas").glob("*.json"))
    assert "user.json" in documents
    with zipfile.ZipFile(wheel) as archive:
        packaged = {name for name in archive.namelist() if name.startswith("schemas/")}
    assert packaged == {f"schemas/{name}" for name in [*documents, "__init__.py"]}


def _project_packages() -> list[Path]:
    """The top-level directories that pyproject.toml's `packages.find` includes."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    include = pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    return [
        path
        for path in sorted(ROOT.iterdir())
        if path.is_dir() and any(fnmatch(path.name, pattern) for pattern in include)
    ]


def test_wheel_contains_every_module_of_the_project(wheel: Path) -> None:
    packages = _project_packages()
    assert {"kinabase", "kinabase_m365", "scim_server", "schemas"} <= {p.name for p in packages}
    modules = {
        path.relative_to(ROOT).as_posix()
        for package in packages
        for path in package.rglob("*.py")
        if "__pycache__" not in path.parts
    }
    with zipfile.ZipFile(wheel) as archive:
        missing = modules - set(archive.namelist())
    assert missing == set()


def test_installed_wheel_serves_discovery_from_its_schemas(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    _pip("install", "--no-deps", "--no-index", "--target", target, wheel)
    probe = subprocess.run(
        [sys.executable, "-c", PROBE],
        check=True,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(target)},
    )
    served = json.loads(probe.stdout)
    assert Path(served["schemas_package"]).parent == target / "schemas"
    assert Path(served["discovery_module"]).is_relative_to(target)
    assert served["resource_types"] == ["User", "Group"]
    assert served["schema_ids"] == [
        "urn:ietf:params:scim:schemas:core:2.0:User",
        "urn:ietf:params:scim:schemas:core:2.0:Group",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
        "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig",
        "urn:ietf:params:scim:schemas:core:2.0:ResourceType",
        "urn:ietf:params:scim:schemas:core:2.0:Schema",
    ]
    assert served["max_results"] == 7
