"""The add-in's XML manifest (add-in only, `MailApp`), made from the service's settings.

The manifest tells Outlook where the task pane lives, which icons to show and what the add-in may
read. It is rendered for each deployment from PUBLIC_BASE_URL, so the same service can be
installed by any number of organisations without editing a file:

- **read mode only**: the add-in shows on a message being read (`ItemIs Message Read`) and asks
  for `ReadItem`, the least it needs to read the sender, recipients, body and attachments;
- **a button on the message read surface** (`MessageReadCommandSurface`) opens the task pane,
  which can be pinned so it follows the selected message (`SupportsPinning`, Mailbox 1.5);
- **`WebApplicationInfo`** names the app registration (MICROSOFT_CLIENT_ID) and its API's
  Application ID URI (OUTLOOK_API_IDENTIFIER_URI, by default `api://<client id>`), the audience
  of the tokens the task pane gets for the service's API.

The add-in's `Id` is a GUID derived from PUBLIC_BASE_URL (UUID version 5), so a deployment keeps
its identity across releases and two deployments never share one. `Version` follows the
package's version: Outlook offers an update to users when it changes.
"""

from __future__ import annotations

import importlib.metadata
import re
import uuid
from dataclasses import dataclass

MANIFEST_PATH = "/outlook/manifest.xml"
TASKPANE_PATH = "/outlook/taskpane"
# The icon sizes the manifest names: 64 and 128 for the add-in itself (IconUrl,
# HighResolutionIconUrl), 16, 32 and 80 for the ribbon button.
ICON_SIZES = (16, 32, 64, 80, 128)
# The namespace under which each deployment's add-in id is derived from its base URL.
ADD_IN_ID_NAMESPACE = uuid.UUID("6f0c3d4e-5b1a-4c53-9a7e-2d8f1e0b7c41")
_RELEASE = re.compile(r"^(\d{1,5})(?:\.(\d{1,5}))?(?:\.(\d{1,5}))?")


class ManifestUnavailable(Exception):
    """The service lacks a setting the manifest needs; the message names it."""


@dataclass(frozen=True)
class AddInManifest:
    """What varies between deployments of the add-in."""

    base_url: str
    client_id: str
    resource: str
    add_in_id: str
    version: str

    @property
    def taskpane_url(self) -> str:
        """The task pane's page."""
        return self.base_url + TASKPANE_PATH

    def icon_url(self, size: int) -> str:
        """The PNG icon of `size` pixels square."""
        return f"{self.base_url}/outlook/icons/icon-{size}.png"


def add_in_id(base_url: str) -> str:
    """The deployment's add-in id: stable for a base URL, different between base URLs."""
    return str(uuid.uuid5(ADD_IN_ID_NAMESPACE, base_url.rstrip("/").lower()))


def manifest_version(package_version: str) -> str:
    """The package version as the manifest's four-part `Version` (`0.1.0` → `0.1.0.0`).

    Pre-release and local suffixes are dropped: the manifest allows digits and dots only.
    """
    match = _RELEASE.match(package_version)
    if match is None:
        raise ValueError(f"not a release version: {package_version!r}")
    parts = [part or "0" for part in match.groups()]
    return ".".join([*parts, "0"])


def manifest_for(public_base_url: str, client_id: str, identifier_uri: str = "") -> AddInManifest:
    """The manifest's values for a deployment; refuses settings Outlook could not use.

    `identifier_uri` is the API's Application ID URI when it is not `api://<client id>`.
    """
    base = public_base_url.rstrip("/")
    if not base:
        raise ManifestUnavailable(
            "PUBLIC_BASE_URL is not set: the add-in's manifest needs the service's public address"
        )
    if not base.startswith("https://"):
        raise ManifestUnavailable(
            "PUBLIC_BASE_URL must be an https:// URL: Outlook loads add-ins only over HTTPS"
        )
    if not client_id:
        raise ManifestUnavailable(
            "MICROSOFT_CLIENT_ID is not set: the add-in signs users in with the app registration"
        )
    return AddInManifest(
        base_url=base,
        client_id=client_id,
        resource=identifier_uri or f"api://{client_id}",
        add_in_id=add_in_id(base),
        version=manifest_version(importlib.metadata.version("kinabase-m365")),
    )
