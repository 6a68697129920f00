"""The Graph emulator's SharePoint side: sites, document libraries (drives), files and folders,
uploads, downloads and deletes, as Graph v1.0 serves them (reference §2.1).

- `GET /sites?search=` (`*` for every site), `GET /sites/{host}:/{path}` (a site by its address,
  the way that works with `Sites.Selected`), `GET /sites/{id}/drives`, `GET /drives/{id}`,
  `GET /drives/{id}/root` (with `folder.childCount`), `GET …/items/{id}`.
- `GET /drives/{id}/root:/{path}`: the item at a path.
- `PATCH /drives/{id}/items/{id}` renames (driveitem-update.md): a name the folder holds is 409
  `nameAlreadyExists`, or a free `name N.ext` with `?@microsoft.graph.conflictBehavior=rename`.
- `PUT /drives/{id}/root:/{path}:/content` (driveitem-put-content.md): missing folders are made;
  `@microsoft.graph.conflictBehavior` (query) is `replace` by default, `fail` answers 409
  `nameAlreadyExists`, `rename` stores `name 1.ext`. 201 for a new file, 200 for a replaced one.
  Bodies over 250 MB are refused, as Graph documents.
- `POST /drives/{id}/root:/{path}:/createUploadSession` (driveitem-createuploadsession.md):
  conflictBehavior in the body's `item`, `fail` by default, applied when the last byte arrives.
  The `uploadUrl` is on `{tenant}.sharepoint.com` and refuses an Authorization header (401).
  `PUT {uploadUrl}` takes `Content-Range: bytes a-b/total` fragments in order: every fragment but
  the last a multiple of 320 KiB and under 60 MiB, the same total each time; bytes it already
  has are 416; an intermediate fragment is 202 with `nextExpectedRanges`, the last one 201 with
  the driveItem. `GET {uploadUrl}` gives the status, `DELETE {uploadUrl}` cancels (204).
- `GET /drives/{id}/items/{id}/content` is 302 to a pre-authenticated URL on SharePoint, which
  serves the bytes without a token (and honours `Range`).
- `DELETE /drives/{id}/items/{id}` is 204 (then 404 `itemNotFound`).

`cloud.faults.corrupt_uploads = N` stores the next N files with their first bit flipped.

Drives are found only in the token's own tenant; app-only tokens need `Sites.ReadWrite.All`
(reads: `Sites.Read.All` too) or answer 403 `accessDenied`. Each driveItem's
`file.hashes.quickXorHash` is computed here by `reference_quick_xor_hash`, written apart from the
service's `graph.quickxorhash` so that the check after an upload compares two implementations.
"""

from __future__ import annotations

import base64
import functools
import operator
import re
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from flask import Response, jsonify, request

from tests.emulators.cloud import Drive, DriveItem, Tenant

if TYPE_CHECKING:
    from tests.emulators.graph import GraphEmulator

WRITE_SITES = frozenset({"Sites.ReadWrite.All", "Sites.FullControl.All"})
READ_SITES = WRITE_SITES | {"Sites.Read.All"}
FRAGMENT_UNIT = 320 * 1024
MAX_FRAGMENT = 60 * 1024 * 1024
MAX_SIMPLE_UPLOAD = 250 * 1024 * 1024
CONTENT_RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+)$")
EXPIRATION = "2030-01-01T00:00:00Z"


def reference_quick_xor_hash(content: bytes) -> str:
    """QuickXorHash as the OneDrive docs' snippet describes it: byte i XORed in at bit
    (11 · i) mod 160 of a 160-bit register, the length XORed into the last 8 bytes."""
    register = 0
    for residue in range(min(160, len(content))):
        column = functools.reduce(operator.xor, content[residue::160], 0)
        shift = (11 * residue) % 160
        placed = column << shift
        register ^= (placed | (placed >> 160)) & ((1 << 160) - 1)
    digest = bytearray(register.to_bytes(20, "little"))
    for index, byte in enumerate(len(content).to_bytes(8, "little")):
        digest[12 + index] ^= byte
    return base64.b64encode(bytes(digest)).decode()


@dataclass
class UploadSession:
    """A createUploadSession in progress."""

    tenant: Tenant
    drive: Drive
    path: str
    conflict_behavior: str
    received: bytearray = field(default_factory=bytearray)
    total: int | None = None


def add_drive_routes(emulator: GraphEmulator) -> None:
    """Serve sites, drives and their items on the emulator's app."""
    DriveRoutes(emulator)


class DriveRoutes:
    """The SharePoint routes over the emulator's cloud."""

    def __init__(self, emulator: GraphEmulator) -> None:
        self.emulator = emulator
        self.sessions: dict[str, UploadSession] = {}
        self.downloads: dict[str, DriveItem] = {}
        app = emulator.app
        app.get("/v1.0/sites")(self.search_sites)
        app.get("/v1.0/sites/<site_id>/drives")(self.site_drives)
        app.get("/v1.0/sites/<host>:/<path:site_path>")(self.site_by_url)
        app.get("/v1.0/drives/<drive_id>")(self.get_drive)
        app.get("/v1.0/drives/<drive_id>/root")(self.get_root)
        app.patch("/v1.0/drives/<drive_id>/items/<item_id>")(self.update_item)
        app.get("/v1.0/drives/<drive_id>/root:/<path:rest>")(self.get_by_path)
        app.put("/v1.0/drives/<drive_id>/root:/<path:rest>")(self.put_by_path)
        app.post("/v1.0/drives/<drive_id>/root:/<path:rest>")(self.post_by_path)
        app.get("/v1.0/drives/<drive_id>/items/<item_id>")(self.get_item)
        app.delete("/v1.0/drives/<drive_id>/items/<item_id>")(self.delete_item)
        app.get("/v1.0/drives/<drive_id>/items/<item_id>/content")(self.item_content)
        app.route("/_api/v2.0/uploadSession", methods=["GET", "PUT", "DELETE"])(self.upload_session)
        app.get("/_layouts/15/download.aspx")(self.download)

    # -- lookups -------------------------------------------------------------------------------

    def drive(self, drive_id: str, permissions: frozenset[str]) -> tuple[Tenant, Drive]:
        """A drive of the token's tenant, or 404 itemNotFound (another tenant's drive too)."""
        tenant = self.tenant(permissions)
        drive = tenant.drive(drive_id)
        if drive is None:
            raise self.error(404, "itemNotFound", "The resource could not be found.")
        return tenant, drive

    def tenant(self, permissions: frozenset[str]) -> Tenant:
        """The token's tenant if its roles cover the request, else 403 accessDenied."""
        grant = self.emulator.grant()
        if grant.user is None and not grant.roles & permissions:
            raise self.error(403, "accessDenied", "Either scp or roles claim need to be present.")
        return self.emulator.cloud.tenants[grant.tenant_id]

    @staticmethod
    def error(status: int, code: str, message: str) -> Exception:
        from tests.emulators.graph import GraphError  # noqa: PLC0415 - it imports this module

        return GraphError(status, code, message)

    def item(self, drive: Drive, item_id: str) -> DriveItem:
        """An item of the drive, or 404 itemNotFound."""
        item = drive.items.get(item_id)
        if item is None:
            raise self.error(404, "itemNotFound", "The resource could not be found.")
        return item

    # -- sites and drives ----------------------------------------------------------------------

    def search_sites(self) -> Response:
        """GET /sites?search={q} (site-search.md)."""
        tenant = self.tenant(READ_SITES)
        wanted = request.args.get("search", "").lower()
        found = [
            site_resource(s)
            for s in tenant.sites.values()
            if wanted == "*" or wanted in s.name.lower()
        ]
        return jsonify({"value": found})

    def site_by_url(self, host: str, site_path: str) -> Response:
        """GET /sites/{hostname}:/{server-relative-path} (site-get.md)."""
        tenant = self.tenant(READ_SITES)
        for site in tenant.sites.values():
            if site.host == host.lower() and site_path.strip("/").lower() == (
                f"sites/{site.name}".lower()
            ):
                return jsonify(site_resource(site))
        raise self.error(404, "itemNotFound", "Requested site could not be found")

    def site_drives(self, site_id: str) -> Response:
        """GET /sites/{id}/drives (drive-list.md)."""
        tenant = self.tenant(READ_SITES)
        site = tenant.sites.get(site_id)
        if site is None:
            raise self.error(404, "itemNotFound", "Requested site could not be found")
        return jsonify({"value": [drive_resource(d) for d in site.drives.values()]})

    def get_drive(self, drive_id: str) -> Response:
        """GET /drives/{id}."""
        _, drive = self.drive(drive_id, READ_SITES)
        return jsonify(drive_resource(drive))

    def get_root(self, drive_id: str) -> Response:
        """GET /drives/{id}/root: the root folder, with its childCount."""
        _, drive = self.drive(drive_id, READ_SITES)
        return jsonify(item_resource(drive, drive.root))

    # -- items ---------------------------------------------------------------------------------

    def update_item(self, drive_id: str, item_id: str) -> Response:
        """PATCH /drives/{id}/items/{id} with a new `name` (conflictBehavior in the query)."""
        _, drive = self.drive(drive_id, WRITE_SITES)
        item = self.item(drive, item_id)
        name = str((request.get_json(silent=True) or {}).get("name") or "")
        if not name or "/" in name:
            raise self.error(400, "invalidRequest", "Invalid name")
        parent = drive.items[item.parent_id] if item.parent_id else drive.root
        existing = drive.child(parent, name)
        if existing is not None and existing is not item:
            behavior = request.args.get("@microsoft.graph.conflictBehavior", "fail")
            if behavior != "rename":
                raise self.error(
                    409, "nameAlreadyExists", "The specified item name already exists."
                )
            name = _free_name(drive, parent, name)
        item.name = name
        return jsonify(item_resource(drive, item))

    def get_item(self, drive_id: str, item_id: str) -> Response:
        """GET /drives/{id}/items/{id}."""
        _, drive = self.drive(drive_id, READ_SITES)
        return jsonify(item_resource(drive, self.item(drive, item_id)))

    def delete_item(self, drive_id: str, item_id: str) -> Response:
        """DELETE /drives/{id}/items/{id}: 204 (the item goes to the recycle bin)."""
        _, drive = self.drive(drive_id, WRITE_SITES)
        item = self.item(drive, item_id)
        for child in drive.children(item):
            del drive.items[child.item_id]
        del drive.items[item.item_id]
        return Response(status=204)

    def item_content(self, drive_id: str, item_id: str) -> Response:
        """GET …/content: 302 to a pre-authenticated download URL."""
        _, drive = self.drive(drive_id, READ_SITES)
        item = self.item(drive, item_id)
        token = secrets.token_urlsafe(16)
        self.downloads[token] = item
        location = (
            f"https://{drive.site.host}/_layouts/15/download.aspx"
            f"?UniqueId={item.item_id}&tempauth={token}"
        )
        return Response(status=302, headers={"Location": location})

    def download(self) -> Response:
        """The pre-authenticated download URL: the bytes, no token needed."""
        item = self.downloads.get(request.args.get("tempauth", ""))
        if item is None:
            raise self.error(401, "unauthenticated", "The download URL has expired.")
        return Response(item.content, 200, mimetype="application/octet-stream")

    def get_by_path(self, drive_id: str, rest: str) -> Response:
        """GET /drives/{id}/root:/{path} (driveitem-get.md): the item at a path."""
        _, drive = self.drive(drive_id, READ_SITES)
        item = drive.root
        for part in [part for part in rest.rstrip(":").split("/") if part]:
            found = drive.child(item, part)
            if found is None:
                raise self.error(404, "itemNotFound", "The resource could not be found.")
            item = found
        return jsonify(item_resource(drive, item))

    def put_by_path(self, drive_id: str, rest: str) -> tuple[Response, int]:
        """PUT /drives/{id}/root:/{path}:/content (driveitem-put-content.md)."""
        path = _action_path(rest, "content")
        if path is None:
            raise self.error(400, "invalidRequest", "Invalid request")
        _, drive = self.drive(drive_id, WRITE_SITES)
        content = request.get_data()
        if len(content) > MAX_SIMPLE_UPLOAD:
            raise self.error(413, "requestTooLarge", "Use an upload session for files > 250 MB.")
        behavior = request.args.get("@microsoft.graph.conflictBehavior", "replace")
        item, created = self.store(drive, path, content, behavior)
        return jsonify(item_resource(drive, item)), 201 if created else 200

    def post_by_path(self, drive_id: str, rest: str) -> Response:
        """POST /drives/{id}/root:/{path}:/createUploadSession."""
        path = _action_path(rest, "createUploadSession")
        if path is None:
            raise self.error(400, "invalidRequest", "Invalid request")
        tenant, drive = self.drive(drive_id, WRITE_SITES)
        body = request.get_json(silent=True) or {}
        behavior = (body.get("item") or {}).get("@microsoft.graph.conflictBehavior", "fail")
        token = secrets.token_urlsafe(24)
        self.sessions[token] = UploadSession(tenant, drive, path, behavior)
        upload_url = f"https://{drive.site.host}/_api/v2.0/uploadSession?guid={token}"
        return jsonify(
            {
                "uploadUrl": upload_url,
                "expirationDateTime": EXPIRATION,
                "nextExpectedRanges": ["0-"],
            }
        )

    def store(
        self, drive: Drive, path: str, content: bytes, behavior: str
    ) -> tuple[DriveItem, bool]:
        """Put the content at the path under the conflict behaviour; (item, created)."""
        faults = self.emulator.cloud.faults
        if faults.corrupt_uploads and content:
            faults.corrupt_uploads -= 1
            content = bytes([content[0] ^ 1]) + content[1:]
        *folders, name = [part for part in path.split("/") if part]
        parent = drive.root
        for folder in folders:
            existing = drive.child(parent, folder)
            if existing is None:
                existing = DriveItem(folder, parent.item_id, True)
                drive.items[existing.item_id] = existing
            parent = existing
        existing = drive.child(parent, name)
        if existing is not None:
            if behavior == "fail":
                raise self.error(
                    409, "nameAlreadyExists", "The specified item name already exists."
                )
            if behavior == "replace" and not existing.is_folder:
                existing.content = content
                return existing, False
            name = _free_name(drive, parent, name)
        item = DriveItem(name, parent.item_id, False, content)
        drive.items[item.item_id] = item
        return item, True

    # -- upload sessions -----------------------------------------------------------------------

    def upload_session(self) -> Response | tuple[Response, int]:
        """GET, PUT and DELETE on an uploadUrl."""
        token = request.args.get("guid", "")
        session = self.sessions.get(token)
        if session is None:
            raise self.error(404, "itemNotFound", "The upload session was not found.")
        if "Authorization" in request.headers:
            raise self.error(401, "unauthenticated", "Do not send Authorization to uploadUrl.")
        if request.method == "DELETE":
            del self.sessions[token]
            return Response(status=204)
        if request.method == "GET":
            return jsonify(_status(session))
        return self.receive_fragment(token, session)

    def receive_fragment(self, token: str, session: UploadSession) -> tuple[Response, int]:
        """PUT {uploadUrl} with one fragment."""
        match = CONTENT_RANGE.match(request.headers.get("Content-Range", ""))
        if match is None:
            raise self.error(400, "invalidRange", "A Content-Range header is required.")
        start, end, total = (int(group) for group in match.groups())
        data = request.get_data()
        if len(data) != end - start + 1 or end >= total:
            raise self.error(400, "invalidRange", "The Content-Range does not match the body.")
        if session.total is not None and total != session.total:
            raise self.error(400, "invalidRange", "The total size changed during the session.")
        if len(data) >= MAX_FRAGMENT:
            raise self.error(400, "invalidRange", "A fragment must be smaller than 60 MiB.")
        if end + 1 < total and len(data) % FRAGMENT_UNIT:
            raise self.error(400, "invalidRange", "Fragments must be multiples of 320 KiB.")
        if start != len(session.received):
            raise self.error(416, "invalidRange", "The fragment does not start where expected.")
        session.total = total
        session.received += data
        if len(session.received) < total:
            return jsonify(_status(session)), 202
        del self.sessions[token]
        item, _ = self.store(
            session.drive, session.path, bytes(session.received), session.conflict_behavior
        )
        return jsonify(item_resource(session.drive, item)), 201


def site_resource(site: Any) -> dict[str, Any]:
    """Graph's site resource."""
    return {
        "id": site.site_id,
        "name": site.name,
        "displayName": site.name,
        "webUrl": _site_url(site),
    }


def drive_resource(drive: Drive) -> dict[str, Any]:
    """Graph's drive resource."""
    return {
        "id": drive.drive_id,
        "name": drive.name,
        "driveType": "documentLibrary",
        "webUrl": f"{_site_url(drive.site)}/{quote(drive.name)}",
    }


def item_resource(drive: Drive, item: DriveItem) -> dict[str, Any]:
    """Graph's driveItem resource (a file's with `file.hashes`)."""
    resource: dict[str, Any] = {
        "id": item.item_id,
        "name": item.name,
        "size": len(item.content),
        "eTag": f'"{{{item.item_id}}},1"',
        "webUrl": f"{_site_url(drive.site)}/{quote(drive.name)}/{quote(item.name)}",
        "parentReference": {"driveId": drive.drive_id, "id": item.parent_id},
    }
    if item.is_folder:
        resource["folder"] = {"childCount": len(drive.children(item))}
    else:
        resource["file"] = {
            "mimeType": "application/octet-stream",
            "hashes": {"quickXorHash": reference_quick_xor_hash(item.content)},
        }
    return resource


def _status(session: UploadSession) -> dict[str, Any]:
    return {
        "expirationDateTime": EXPIRATION,
        "nextExpectedRanges": [f"{len(session.received)}-"],
    }


def _site_url(site: Any) -> str:
    return f"https://{site.host}/sites/{quote(site.name)}"


def _action_path(rest: str, action: str) -> str | None:
    suffix = f":/{action}"
    return rest[: -len(suffix)] if rest.endswith(suffix) else None


def _free_name(drive: Drive, parent: DriveItem, name: str) -> str:
    """`name 1.ext`, `name 2.ext`, … : the first the folder does not hold (rename)."""
    stem, dot, extension = name.rpartition(".")
    if not dot:
        stem, extension = name, ""
    number = 1
    while True:
        candidate = f"{stem} {number}{dot}{extension}"
        if drive.child(parent, candidate) is None:
            return candidate
        number += 1
