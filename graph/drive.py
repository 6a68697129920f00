"""A SharePoint document library (a Graph drive) with the app's app-only token.

Application permission: `Sites.ReadWrite.All` (or `Sites.Selected` with a grant on the site);
a 403 raises `ConsentMissing` naming it. Everything goes through `graph.http.send`, so 429 and
503 are retried after Retry-After there, and nowhere else.

- **Small files** (up to `SMALL_UPLOAD_LIMIT`, 4 MiB) are one `PUT …/root:/{path}:/content`
  (driveitem-put-content.md); **larger ones** an upload session (driveitem-createuploadsession.md):
  `POST …/root:/{path}:/createUploadSession`, then `PUT {uploadUrl}` with `Content-Range` in
  fragments of `FRAGMENT_SIZE` (a multiple of 320 KiB, as Graph requires; the last one shorter),
  never with an Authorization header. Paths create their missing folders.
- **Resuming**: when a fragment is refused with 416 (Graph already has those bytes: the answer
  to an earlier attempt was lost) or fails after every retry, the session's status
  (`GET {uploadUrl}`) says from which byte Graph expects more (`nextExpectedRanges`), and the
  upload goes on from there within the fragment in hand. The source is a stream read once, so
  bytes before the fragment in hand cannot be sent again: then the session is cancelled and
  `GraphUnavailable` raised. A session that cannot be finished is cancelled (`DELETE`).
- **Name conflicts** never overwrite: both kinds of upload ask for
  `@microsoft.graph.conflictBehavior: rename`, and Graph stores the new file as `name 1.ext`.
- **Downloads** are streamed: `GET …/items/{id}/content` answers 302 to a pre-authenticated URL,
  which `requests` follows (without the token: the host changes) and whose body is read in chunks.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import requests

from graph.errors import GraphNotFound, GraphRequestFailed, GraphUnavailable
from graph.http import get_json, graph_url, iter_values, send

PERMISSION = "Sites.ReadWrite.All"
SMALL_UPLOAD_LIMIT = 4 * 1024 * 1024
FRAGMENT_UNIT = 320 * 1024  # upload fragments are multiples of this (uploadsession resource)
FRAGMENT_SIZE = 16 * FRAGMENT_UNIT  # 5 MiB
CONFLICT_BEHAVIOR = "rename"
MAX_RESUMES = 5  # per fragment
DOWNLOAD_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class DriveItem:
    """A file in a drive, as Graph describes it after an upload."""

    id: str
    name: str
    size: int
    quick_xor_hash: str | None
    web_url: str | None


@dataclass(frozen=True)
class Drive:
    """A document library of a site."""

    id: str
    name: str
    web_url: str | None


@dataclass(frozen=True)
class Site:
    """A SharePoint site."""

    id: str
    name: str
    web_url: str | None


def drive_item(body: dict[str, Any]) -> DriveItem:
    """A driveItem resource as a DriveItem."""
    hashes = (body.get("file") or {}).get("hashes") or {}
    return DriveItem(
        id=str(body["id"]),
        name=str(body.get("name", "")),
        size=int(body.get("size", 0)),
        quick_xor_hash=hashes.get("quickXorHash"),
        web_url=body.get("webUrl"),
    )


def list_site_drives(tenant_id: str, site_id: str) -> list[Drive]:
    """The document libraries of a site (drive-list.md)."""
    url = graph_url(f"/sites/{quote(site_id, safe=',')}/drives")
    return [
        Drive(str(value["id"]), str(value.get("name", "")), value.get("webUrl"))
        for value in iter_values(tenant_id, url, permission=PERMISSION)
    ]


def search_sites(tenant_id: str, query: str) -> list[Site]:
    """The sites whose name matches the query (site-search.md). Not with `Sites.Selected`: then
    use `get_site_by_url`."""
    url = graph_url("/sites")
    return [
        Site(str(v["id"]), str(v.get("displayName") or v.get("name") or ""), v.get("webUrl"))
        for v in iter_values(tenant_id, url, {"search": query or "*"}, permission=PERMISSION)
    ]


def get_site_by_url(tenant_id: str, host: str, path: str) -> Site:
    """A site from its address, `GET /sites/{host}:/{path}` (GraphNotFound if there is none)."""
    url = graph_url(f"/sites/{quote(host)}:/{quote(path.strip('/'))}")
    body = get_json(tenant_id, url, permission=PERMISSION)
    return Site(
        str(body["id"]), str(body.get("displayName") or body.get("name") or ""), body.get("webUrl")
    )


def count_root_items(tenant_id: str, drive_id: str) -> int:
    """How many files and folders the library's top level holds (its root's `childCount`)."""
    body = get_json(tenant_id, graph_url(f"/drives/{quote(drive_id)}/root"), permission=PERMISSION)
    return int((body.get("folder") or {}).get("childCount", 0))


def get_item(tenant_id: str, drive_id: str, item_id: str) -> DriveItem:
    """One file of a drive (GraphNotFound if there is none)."""
    url = graph_url(f"/drives/{quote(drive_id)}/items/{quote(item_id)}")
    return drive_item(get_json(tenant_id, url, permission=PERMISSION))


def get_item_by_path(tenant_id: str, drive_id: str, path: str) -> DriveItem | None:
    """The item at a path of the drive, or None if there is none."""
    url = graph_url(f"/drives/{quote(drive_id)}/root:/{quote(path)}")
    try:
        return drive_item(get_json(tenant_id, url, permission=PERMISSION))
    except GraphNotFound:
        return None


def rename_item(tenant_id: str, drive_id: str, item_id: str, name: str) -> DriveItem:
    """Rename a file in its folder (driveitem-update.md); a name the folder already holds makes
    Graph choose a free one (`conflictBehavior=rename`). The item keeps its id."""
    url = graph_url(f"/drives/{quote(drive_id)}/items/{quote(item_id)}")
    response = send(
        "PATCH",
        tenant_id,
        url,
        {"@microsoft.graph.conflictBehavior": CONFLICT_BEHAVIOR},
        permission=PERMISSION,
        headers={"Content-Type": "application/json"},
        body=_json({"name": name}),
    )
    return drive_item(response.json())


def get_drive(tenant_id: str, drive_id: str) -> Drive:
    """One drive (GraphNotFound if there is none)."""
    body = get_json(tenant_id, graph_url(f"/drives/{quote(drive_id)}"), permission=PERMISSION)
    return Drive(str(body["id"]), str(body.get("name", "")), body.get("webUrl"))


def path_url(drive_id: str, path: str, action: str) -> str:
    """`/drives/{id}/root:/{path}:/{action}`, the path's segments percent-encoded."""
    return graph_url(f"/drives/{quote(drive_id)}/root:/{quote(path)}:/{action}")


def put_small(
    tenant_id: str,
    drive_id: str,
    path: str,
    content: bytes,
    *,
    conflict_behavior: str = CONFLICT_BEHAVIOR,
) -> DriveItem:
    """Upload a file of at most 4 MiB in one PUT; an existing name makes Graph rename it (or
    replace it, with `conflict_behavior="replace"`)."""
    response = send(
        "PUT",
        tenant_id,
        path_url(drive_id, path, "content"),
        {"@microsoft.graph.conflictBehavior": conflict_behavior},
        permission=PERMISSION,
        headers={"Content-Type": "application/octet-stream"},
        body=content,
    )
    return drive_item(response.json())


def upload_large(
    tenant_id: str,
    drive_id: str,
    path: str,
    chunks: Iterator[bytes],
    size: int,
    *,
    fragment_size: int = FRAGMENT_SIZE,
    conflict_behavior: str = CONFLICT_BEHAVIOR,
) -> DriveItem:
    """Upload `size` bytes from `chunks` through an upload session (see the module's docstring)."""
    if fragment_size % FRAGMENT_UNIT:
        raise ValueError(f"fragments must be multiples of {FRAGMENT_UNIT} bytes")
    response = send(
        "POST",
        tenant_id,
        path_url(drive_id, path, "createUploadSession"),
        permission=PERMISSION,
        headers={"Content-Type": "application/json"},
        body=_json({"item": {"@microsoft.graph.conflictBehavior": conflict_behavior}}),
    )
    upload_url = str(response.json()["uploadUrl"])
    try:
        return UploadSession(tenant_id, upload_url, size).send_all(
            _fragments(chunks, fragment_size)
        )
    except BaseException:
        cancel_upload_session(tenant_id, upload_url)
        raise


def cancel_upload_session(tenant_id: str, upload_url: str) -> None:
    """Cancel an upload session (Graph forgets its bytes); a failure here is not an error."""
    with contextlib.suppress(GraphRequestFailed, GraphUnavailable):
        send("DELETE", tenant_id, upload_url, permission=PERMISSION, authorize=False)


@dataclass
class UploadSession:
    """The fragments of one upload session, sent in order, resumed from Graph's status."""

    tenant_id: str
    upload_url: str
    size: int

    def send_all(self, fragments: Iterator[bytes]) -> DriveItem:
        """Send every fragment; the driveItem that the last one created."""
        start = 0
        item: DriveItem | None = None
        for fragment in fragments:
            item = self.send_fragment(start, fragment)
            start += len(fragment)
        if item is None:
            raise GraphUnavailable("the upload session ended without creating the file")
        return item

    def send_fragment(self, start: int, fragment: bytes) -> DriveItem | None:
        """Send one fragment (resuming within it when Graph has part of it already)."""
        end = start + len(fragment)
        offset = start
        for _ in range(MAX_RESUMES):
            try:
                response = self.put(offset, fragment[offset - start :])
            except GraphRequestFailed as error:
                if error.status != 416:
                    raise
            except GraphUnavailable:
                pass
            else:
                if response.status_code in (200, 201):
                    return drive_item(response.json())
                return None  # 202: Graph expects the next fragment
            offset = self.next_expected(start, end)
            if offset >= end:
                return None  # Graph had the whole fragment
        raise GraphUnavailable(f"the upload session kept failing at byte {start}")

    def put(self, offset: int, data: bytes) -> requests.Response:
        """PUT bytes `offset`… of the file to the upload URL (no Authorization header)."""
        last = offset + len(data) - 1
        return send(
            "PUT",
            self.tenant_id,
            self.upload_url,
            permission=PERMISSION,
            headers={"Content-Range": f"bytes {offset}-{last}/{self.size}"},
            body=data,
            authorize=False,
        )

    def next_expected(self, start: int, end: int) -> int:
        """The first byte Graph still expects (`nextExpectedRanges`), if it lies in the fragment
        in hand or after it; GraphUnavailable if Graph lost bytes before it."""
        status = send(
            "GET", self.tenant_id, self.upload_url, permission=PERMISSION, authorize=False
        ).json()
        ranges = status.get("nextExpectedRanges") or []
        if not ranges:
            return end
        first = int(str(ranges[0]).split("-", 1)[0])
        if first < start:
            raise GraphUnavailable(
                f"Graph lost bytes {first} to {start - 1} of an upload that cannot be read again"
            )
        return first


def _fragments(chunks: Iterator[bytes], fragment_size: int) -> Iterator[bytes]:
    """The chunks regrouped into fragments of exactly `fragment_size` bytes (the last shorter)."""
    buffer = bytearray()
    for chunk in chunks:
        buffer += chunk
        while len(buffer) >= fragment_size:
            yield bytes(buffer[:fragment_size])
            del buffer[:fragment_size]
    if buffer:
        yield bytes(buffer)


def download(tenant_id: str, drive_id: str, item_id: str) -> Iterator[bytes]:
    """A file's content, chunk by chunk. The request is sent before this returns, so a refusal
    (404, 403) raises here, before a caller starts answering with the content."""
    url = graph_url(f"/drives/{quote(drive_id)}/items/{quote(item_id)}/content")
    response = send("GET", tenant_id, url, permission=PERMISSION, stream=True)
    return _content(response)


def _content(response: requests.Response) -> Iterator[bytes]:
    with response:
        yield from response.iter_content(DOWNLOAD_CHUNK)


def delete_item(tenant_id: str, drive_id: str, item_id: str) -> None:
    """Delete a file (it goes to the site's recycle bin); one already gone is not an error."""
    url = graph_url(f"/drives/{quote(drive_id)}/items/{quote(item_id)}")
    with contextlib.suppress(GraphNotFound):
        send("DELETE", tenant_id, url, permission=PERMISSION)


def _json(value: dict[str, Any]) -> bytes:
    return json.dumps(value).encode()
