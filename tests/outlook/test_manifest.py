"""The add-in's XML manifest (/outlook/manifest.xml, outlook/manifest.py).

No package on PyPI or npm ships Microsoft's manifest schemas (office-addin-manifest validates by
posting to a Microsoft service; OfficeDev/office-js-docs-pr keeps the XSDs as documentation), so
the manifest is checked structurally against what those schemas require of a mail add-in: the
elements of OfficeApp in the schema's order, the required ones present, the types' patterns
(GUID, version, culture, lengths), HTTPS URLs that the service really serves, and every resource
id a control names defined in Resources.

Then Microsoft's own manifest parser reads it: office-addin-manifest-converter (an npm dev
dependency, installed by `npm ci`, which `make test` runs first) carries the Office Solution
Framework's parser, which refuses what Office would refuse, and writes what it understood as a
unified app manifest; the test checks that it understood a read-mode button opening the pane.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import uuid
from pathlib import Path
from xml.etree import ElementTree

import pytest
from PIL import Image

from outlook.manifest import ManifestUnavailable, add_in_id, manifest_for, manifest_version
from tests.outlook.pages_support import CLIENT_ID, PUBLIC_BASE_URL, pages_client

NS = {
    "o": "http://schemas.microsoft.com/office/appforoffice/1.1",
    "xsi": "http://www.w3.org/2001/XMLSchema-instance",
    "bt": "http://schemas.microsoft.com/office/officeappbasictypes/1.0",
    "v10": "http://schemas.microsoft.com/office/mailappversionoverrides",
    "v11": "http://schemas.microsoft.com/office/mailappversionoverrides/1.1",
}
XSI_TYPE = f"{{{NS['xsi']}}}type"
# OfficeApp's sequence, then MailApp's extension of it (OfficeAppManifestV1_1.xsd):
# (name, required).
MAIL_APP_SEQUENCE = [
    ("Id", True),
    ("AlternateId", False),
    ("Version", True),
    ("ProviderName", True),
    ("DefaultLocale", True),
    ("DisplayName", True),
    ("Description", True),
    ("IconUrl", False),
    ("HighResolutionIconUrl", False),
    ("SupportUrl", False),
    ("AppDomains", False),
    ("Hosts", False),
    ("Requirements", True),
    ("FormSettings", True),
    ("Permissions", False),
    ("Rule", True),
    ("DisableEntityHighlighting", False),
    ("VersionOverrides", False),
]
ROOT = Path(__file__).resolve().parents[2]
CONVERTER = ROOT / "node_modules" / "office-addin-manifest-converter"
CONVERT_SCRIPT = ROOT / "tests" / "outlook" / "js" / "convert-manifest.js"
# The schema's simple types.
VERSION = re.compile(r"^[0-9]{1,5}(\.[0-9]{1,5}){0,3}$")
CULTURE = re.compile(r"^[a-zA-Z]{2,3}(-[a-zA-Z]{2,3})?$")
SHORT_STRING_MAX = 125
LONG_STRING_MAX = 250


def local_name(element: ElementTree.Element) -> str:
    return element.tag.rsplit("}", 1)[-1]


def parse(body: str) -> ElementTree.Element:
    """The manifest as a tree (the service's own output, not untrusted XML)."""
    return ElementTree.fromstring(body)  # noqa: S314


def fetch_manifest(tmp_path: Path, **overrides: str) -> tuple[int, str, str]:
    with pages_client(tmp_path, **overrides) as client:
        response = client.get("/outlook/manifest.xml")
        return response.status_code, response.mimetype, response.get_data(as_text=True)


@pytest.fixture
def manifest(tmp_path: Path) -> ElementTree.Element:
    status, mimetype, body = fetch_manifest(tmp_path)
    assert status == 200
    assert mimetype == "application/xml"
    assert body.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<OfficeApp ')
    return parse(body)


def test_it_is_a_mail_app_whose_elements_follow_the_schema(manifest: ElementTree.Element) -> None:
    assert manifest.tag == f"{{{NS['o']}}}OfficeApp"
    assert manifest.get(XSI_TYPE) == "MailApp"
    names = [local_name(child) for child in manifest]
    order = [name for name, _ in MAIL_APP_SEQUENCE]
    assert all(name in order for name in names), names
    assert names == sorted(names, key=order.index)
    assert len(names) == len(set(names))
    required = [name for name, is_required in MAIL_APP_SEQUENCE if is_required]
    assert set(required) <= set(names)


def test_identity_version_and_strings_have_the_schemas_formats(
    manifest: ElementTree.Element,
) -> None:
    identity = manifest.findtext("o:Id", namespaces=NS)
    assert identity is not None
    assert str(uuid.UUID(identity)) == identity
    assert VERSION.match(manifest.findtext("o:Version", default="", namespaces=NS))
    assert CULTURE.match(manifest.findtext("o:DefaultLocale", default="", namespaces=NS))
    assert 0 < len(manifest.findtext("o:ProviderName", default="", namespaces=NS)) <= 125
    display = manifest.find("o:DisplayName", NS)
    description = manifest.find("o:Description", NS)
    assert display is not None
    assert description is not None
    assert 0 < len(display.get("DefaultValue", "")) <= SHORT_STRING_MAX
    assert 0 < len(description.get("DefaultValue", "")) <= LONG_STRING_MAX


def test_the_version_follows_the_package(manifest: ElementTree.Element) -> None:
    import importlib.metadata  # noqa: PLC0415

    package = importlib.metadata.version("kinabase-m365")
    assert manifest.findtext("o:Version", namespaces=NS) == manifest_version(package)
    assert manifest_version("0.1.0") == "0.1.0.0"
    assert manifest_version("2") == "2.0.0.0"
    assert manifest_version("1.12.3rc1+local") == "1.12.3.0"
    with pytest.raises(ValueError, match="not a release version"):
        manifest_version("dev")


def test_it_shows_in_read_mode_for_messages_and_reads_only_the_item(
    manifest: ElementTree.Element,
) -> None:
    assert manifest.findtext("o:Permissions", namespaces=NS) == "ReadItem"
    hosts = manifest.findall("o:Hosts/o:Host", NS)
    assert [host.get("Name") for host in hosts] == ["Mailbox"]
    mailbox = manifest.find("o:Requirements/o:Sets/o:Set", NS)
    assert mailbox is not None
    assert (mailbox.get("Name"), mailbox.get("MinVersion")) == ("Mailbox", "1.1")
    rules = manifest.findall(".//o:Rule[@xsi:type='ItemIs']", NS)
    assert [(r.get("ItemType"), r.get("FormType")) for r in rules] == [("Message", "Read")]
    form = manifest.find("o:FormSettings/o:Form", NS)
    assert form is not None
    assert form.get(XSI_TYPE) == "ItemRead"
    source = form.find("o:DesktopSettings/o:SourceLocation", NS)
    assert source is not None
    assert source.get("DefaultValue") == f"{PUBLIC_BASE_URL}/outlook/taskpane"
    height = int(form.findtext("o:DesktopSettings/o:RequestedHeight", default="0", namespaces=NS))
    assert 32 <= height <= 450


@pytest.mark.parametrize("version", ["v10", "v11"])
def test_a_button_on_the_message_read_surface_opens_the_task_pane(
    manifest: ElementTree.Element, version: str
) -> None:
    overrides = manifest.find("v10:VersionOverrides", NS)
    assert overrides is not None
    assert overrides.get(XSI_TYPE) == "VersionOverridesV1_0"
    if version == "v11":
        overrides = overrides.find("v11:VersionOverrides", NS)
        assert overrides is not None
        assert overrides.get(XSI_TYPE) == "VersionOverridesV1_1"
    names = [local_name(child) for child in overrides]
    expected = ["Requirements", "Hosts", "Resources"]
    expected += ["WebApplicationInfo"] if version == "v11" else ["VersionOverrides"]
    assert names == expected
    surfaces = overrides.findall(
        f"{version}:Hosts/{version}:Host/{version}:DesktopFormFactor/{version}:ExtensionPoint", NS
    )
    assert [surface.get(XSI_TYPE) for surface in surfaces] == ["MessageReadCommandSurface"]
    controls = surfaces[0].findall(f".//{version}:Control", NS)
    assert [control.get(XSI_TYPE) for control in controls] == ["Button"]
    action = controls[0].find(f"{version}:Action", NS)
    assert action is not None
    assert action.get(XSI_TYPE) == "ShowTaskpane"
    pinning = action.findtext(f"{version}:SupportsPinning", namespaces=NS)
    assert pinning == ("true" if version == "v11" else None)  # pinning needs VersionOverrides 1.1
    sizes = [image.get("size") for image in controls[0].findall(f"{version}:Icon/bt:Image", NS)]
    assert sizes == ["16", "32", "80"]

    resources = overrides.find(f"{version}:Resources", NS)
    assert resources is not None
    defined = {
        local_name(group): {item.get("id"): item.get("DefaultValue", "") for item in group}
        for group in resources
    }
    by_id = {key: value for group in defined.values() for key, value in group.items()}
    named = {element.get("resid") for element in surfaces[0].iter() if element.get("resid")}
    assert named <= set(by_id), named - set(by_id)
    assert all(len(text) <= SHORT_STRING_MAX for text in defined["ShortStrings"].values())
    assert all(len(text) <= LONG_STRING_MAX for text in defined["LongStrings"].values())
    assert defined["Urls"]["Taskpane.Url"] == f"{PUBLIC_BASE_URL}/outlook/taskpane"


def test_web_application_info_names_the_app_registration_and_its_api(
    manifest: ElementTree.Element,
) -> None:
    info = manifest.find("v10:VersionOverrides/v11:VersionOverrides/v11:WebApplicationInfo", NS)
    assert info is not None
    assert info.findtext("v11:Id", namespaces=NS) == CLIENT_ID
    # The audience the API accepts (docs/outlook.md): the Application ID URI api://<client id>.
    assert info.findtext("v11:Resource", namespaces=NS) == f"api://{CLIENT_ID}"
    scopes = [scope.text for scope in info.findall("v11:Scopes/v11:Scope", NS)]
    assert scopes == ["openid", "profile"]


def test_web_application_info_names_the_apis_own_identifier_uri_when_it_is_set(
    tmp_path: Path,
) -> None:
    uri = f"api://addin.example.com/{CLIENT_ID}"
    status, _, body = fetch_manifest(tmp_path, outlook_api_identifier_uri=uri)
    assert status == 200
    resource = parse(body).findtext(
        "v10:VersionOverrides/v11:VersionOverrides/v11:WebApplicationInfo/v11:Resource",
        namespaces=NS,
    )
    assert resource == uri


def test_every_url_is_https_and_served_by_the_service(
    manifest: ElementTree.Element, tmp_path: Path
) -> None:
    urls = {
        value
        for element in manifest.iter()
        for value in (element.get("DefaultValue", ""), element.text or "")
        if value.startswith(("http://", "https://"))
    }
    assert len(urls) >= 7  # task pane, five icons, support
    assert all(url.startswith(PUBLIC_BASE_URL + "/") for url in urls), urls
    with pages_client(tmp_path / "served") as client:
        for url in sorted(urls):
            response = client.get(url.removeprefix(PUBLIC_BASE_URL))
            if url.endswith("/"):
                continue  # the support link is the service's home, not the add-in's
            assert response.status_code == 200, url
            if url.endswith(".png"):
                size = int(re.findall(r"icon-(\d+)\.png$", url)[0])
                image = Image.open(io.BytesIO(response.data))
                assert (image.format, image.size, image.mode) == ("PNG", (size, size), "RGBA")


def test_the_add_in_id_is_stable_for_a_deployment_and_differs_between_deployments(
    tmp_path: Path,
) -> None:
    first = fetch_manifest(tmp_path / "a")[2]
    again = fetch_manifest(tmp_path / "b")[2]
    other = fetch_manifest(tmp_path / "c", public_base_url="https://crm.example.org")[2]

    def identity(body: str) -> str | None:
        return parse(body).findtext("o:Id", namespaces=NS)

    assert identity(first) == identity(again) == add_in_id(PUBLIC_BASE_URL)
    assert identity(other) != identity(first)
    assert add_in_id(PUBLIC_BASE_URL + "/") == add_in_id(PUBLIC_BASE_URL.upper())
    assert "https://crm.example.org/outlook/taskpane" in other


def test_a_base_url_with_a_path_and_an_ampersand_stays_well_formed(tmp_path: Path) -> None:
    base = "https://example.org/r&d"
    values = manifest_for(base, CLIENT_ID)
    assert values.taskpane_url == base + "/outlook/taskpane"
    status, _, body = fetch_manifest(tmp_path, public_base_url=base)
    assert status == 200
    source = parse(body).find("o:FormSettings/o:Form/o:DesktopSettings/o:SourceLocation", NS)
    assert source is not None
    assert source.get("DefaultValue") == base + "/outlook/taskpane"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"public_base_url": ""}, "PUBLIC_BASE_URL is not set"),
        ({"public_base_url": "http://localhost:8000"}, "PUBLIC_BASE_URL must be an https:// URL"),
        ({"microsoft_client_id": ""}, "MICROSOFT_CLIENT_ID is not set"),
    ],
)
def test_without_what_outlook_needs_the_manifest_says_which_setting_is_missing(
    tmp_path: Path, overrides: dict[str, str], message: str
) -> None:
    status, mimetype, body = fetch_manifest(tmp_path, **overrides)
    assert (status, mimetype) == (503, "text/plain")
    assert body.startswith(message)
    with pytest.raises(ManifestUnavailable, match=message):
        manifest_for(
            overrides.get("public_base_url", PUBLIC_BASE_URL),
            overrides.get("microsoft_client_id", CLIENT_ID),
        )


def read_with_microsofts_parser(tmp_path: Path, body: str) -> dict[str, object]:
    """The unified manifest office-addin-manifest-converter makes of the XML manifest."""
    node = shutil.which("node")
    if node is None or not CONVERTER.is_dir():
        pytest.fail(
            "Microsoft's manifest parser is missing: run `npm ci` (`make js-test` does) with "
            "Node.js 20 or later",
            pytrace=False,
        )
    source = tmp_path / "manifest.xml"
    source.write_text(body, encoding="utf-8")
    converted = subprocess.run(
        [node, str(CONVERT_SCRIPT), str(source), str(tmp_path / "unified")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert (converted.returncode, converted.stderr) == (0, ""), converted.stderr
    result: dict[str, object] = json.loads((tmp_path / "unified" / "manifest.json").read_text())
    return result


def test_microsofts_manifest_parser_reads_a_read_mode_button_that_opens_the_pane(
    tmp_path: Path,
) -> None:
    status, _, body = fetch_manifest(tmp_path)
    assert status == 200
    unified = read_with_microsofts_parser(tmp_path, body)

    assert unified["id"] == add_in_id(PUBLIC_BASE_URL)
    assert unified["webApplicationInfo"] == {"id": CLIENT_ID, "resource": f"api://{CLIENT_ID}"}
    # ReadItem, as the unified manifest names it.
    assert unified["authorization"] == {
        "permissions": {
            "resourceSpecific": [{"name": "MailboxItem.Read.User", "type": "Delegated"}]
        }
    }
    [extension] = unified["extensions"]
    assert extension["requirements"]["scopes"] == ["mail"]
    pages = {runtime["code"]["page"] for runtime in extension["runtimes"]}
    assert pages == {f"{PUBLIC_BASE_URL}/outlook/taskpane"}
    actions = [action for runtime in extension["runtimes"] for action in runtime["actions"]]
    assert {action["type"] for action in actions} == {"openPage"}
    assert sorted(action["pinnable"] for action in actions) == [False, True]  # 1.0 and 1.1
    for ribbon in extension["ribbons"]:
        assert ribbon["contexts"] == ["mailRead"]
        [tab] = ribbon["tabs"]
        [group] = tab["groups"]
        [button] = group["controls"]
        assert (tab["builtInTabId"], button["type"], button["label"]) == (
            "TabDefault",
            "button",
            "Kinabase",
        )
        assert [icon["size"] for icon in button["icons"]] == [16, 32, 80]


def test_microsofts_manifest_parser_refuses_what_office_would(tmp_path: Path) -> None:
    """The parser is a real check: a manifest with an Id that is not a GUID is refused."""
    status, _, body = fetch_manifest(tmp_path)
    assert status == 200
    identity = add_in_id(PUBLIC_BASE_URL)
    broken = body.replace(f"<Id>{identity}</Id>", "<Id>kinabase</Id>")
    assert broken != body
    with pytest.raises(AssertionError, match="refused the manifest"):
        read_with_microsofts_parser(tmp_path, broken)
