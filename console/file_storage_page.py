"""Organisation → File Storage: where new files go, and moving the files already stored.

Administrators choose the storage provider: Kinabase (built-in) or SharePoint. For SharePoint
they search the tenant's sites (words of the name, or the site's address), pick a site, and pick
one of its document libraries; the page reads them from Graph with the app's app-only token and
says how many items each library holds already, warning when the chosen one is not empty (an
empty or dedicated library is recommended). When Microsoft refuses the reads (the app lacks
`Sites.ReadWrite.All`, or a `Sites.Selected` grant on the site) the page asks an Administrator to
grant consent again, through the same journey as connecting Microsoft 365. Update changes where
new files go; files already stored stay where they are, each read from its own place.

"Move files" queues the migration job (files/migration.py) for the files not where new files go;
the page shows its progress bar, which the console's script keeps up to date from the JSON API
(`/admin/api/storage/migration/<id>`) until the job ends; without the script, reloading does.

Everything works without the script: searching and choosing are GET forms and links, updating and
moving are POST forms with the session's CSRF value.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, flash, request, url_for
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from console.forms import Form, read_form
from console.guards import administrators_only
from console.pages import render_page
from files.migration import MigrationRunning, explain, latest_migration, start_migration
from files.storage_settings import choose_storage, find_sites, overview, site_libraries
from graph import drive
from graph.errors import ConsentMissing, MicrosoftError, TokenRefused
from jobs import enqueue
from jobs.models import Job
from kinabase.errors import InvalidSetting
from kinabase.organisations import FileStorageProvider, Organisation, get_organisation
from kinabase_m365.database import db_session
from sso.microsoft import MULTI_TENANT_AUTHORITY
from sso.models import FlowPurpose
from sso.oidc import send_to_microsoft
from sso.sessions import current_user
from sso.urls import see_other

blueprint = Blueprint("console_file_storage", __name__)
PROVIDERS = {
    FileStorageProvider.BUILTIN.value: "Kinabase (built-in)",
    FileStorageProvider.SHAREPOINT.value: "SharePoint",
}
CHOOSE_LIBRARY = "Choose a site and one of its document libraries."


class StorageForm(Schema):
    """The Update form."""

    provider = fields.String(
        required=True,
        validate=validate.OneOf(list(PROVIDERS)),
        error_messages={"required": "Choose where new files go."},
    )
    site = fields.String(load_default=None, validate=validate.Length(max=300))
    library = fields.String(load_default=None, validate=validate.Length(max=300))

    @validates_schema
    def sharepoint_needs_a_library(self, data: dict[str, Any], **kwargs: Any) -> None:
        """SharePoint needs the site and the library."""
        if data["provider"] == FileStorageProvider.SHAREPOINT.value and not (
            data.get("site") and data.get("library")
        ):
            raise ValidationError(CHOOSE_LIBRARY, "library")


@blueprint.get("/admin/file-storage")
@administrators_only
def file_storage_page() -> tuple[str, int]:
    """The provider, the SharePoint site and library pickers, and the migration."""
    return _page()


@blueprint.post("/admin/file-storage")
@administrators_only
def update_storage() -> Response | tuple[str, int]:
    """Change where new files go."""
    form = read_form(StorageForm())
    if form.data is None:
        return _page(400, form)
    session = db_session()
    provider = FileStorageProvider(form.data["provider"])
    try:
        choose_storage(
            session,
            current_user().org_id,
            provider,
            site_id=form.data["site"],
            library_id=form.data["library"],
        )
    except InvalidSetting as error:
        session.rollback()
        form.error(
            "library" if provider is FileStorageProvider.SHAREPOINT else "provider",
            str(error).capitalize() + ".",
        )
        return _page(409, form)
    except (ConsentMissing, TokenRefused) as error:
        session.rollback()
        return _page(409, form, consent=explain(error))
    session.commit()
    where = _where(session, current_user().org_id)
    flash(f"New files go to {where}. Files already stored stay where they are.", "success")
    return see_other(url_for("console_file_storage.file_storage_page"))


@blueprint.post("/admin/file-storage/migration")
@administrators_only
def move_files() -> Response | tuple[str, int]:
    """Queue the move of every file to where new files go."""
    session = db_session()
    try:
        job = start_migration(session, current_user().org_id)
    except MigrationRunning:
        session.rollback()
        flash("The files are being moved already.", "error")
        return see_other(url_for("console_file_storage.file_storage_page"))
    except InvalidSetting as error:
        session.rollback()
        flash(str(error).capitalize() + ".", "error")
        return see_other(url_for("console_file_storage.file_storage_page"))
    session.commit()
    enqueue(job.id)
    flash("Moving the files: the bar below follows the move.", "success")
    return see_other(url_for("console_file_storage.file_storage_page"))


@blueprint.post("/admin/file-storage/consent")
@administrators_only
def grant_consent() -> Response:
    """Grant consent again: sign in at Microsoft, then admin consent for the tenant (sso)."""
    administrator = current_user()
    response = send_to_microsoft(
        FlowPurpose.CONNECT,
        MULTI_TENANT_AUTHORITY,
        org_id=administrator.org_id,
        user_id=administrator.id,
    )
    db_session().commit()
    return response


def _page(
    status: int = 200, form: Form | None = None, consent: str | None = None
) -> tuple[str, int]:
    session = db_session()
    org_id = current_user().org_id
    organisation = get_organisation(session, org_id)
    state = overview(session, org_id)
    values = form.values if form is not None else {}
    chosen_provider = str(
        values.get("provider") or request.args.get("provider") or state.provider.value
    )
    search = request.args.get("search", "").strip()
    site = str(values.get("site") or request.args.get("site") or state.site_id or "")
    library = str(values.get("library") or request.args.get("library") or state.library_id or "")
    sites: list[drive.Site] = []
    libraries = []
    problem = None
    if chosen_provider == FileStorageProvider.SHAREPOINT.value and organisation.entra_tenant_id:
        try:
            if search:
                sites = find_sites(organisation, search)
            if site:
                libraries = site_libraries(organisation, site)
        except (ConsentMissing, TokenRefused) as error:
            consent = consent or explain(error)
        except (MicrosoftError, InvalidSetting) as error:
            problem = getattr(error, "message", None) or str(error)
    migration = latest_migration(session, org_id)
    return render_page(
        "console/file_storage.html",
        status,
        providers=PROVIDERS,
        state=state,
        current=_where(session, org_id),
        chosen_provider=chosen_provider,
        search=search,
        sites=sites,
        site=site,
        libraries=libraries,
        library=library,
        consent=consent,
        problem=problem,
        form=form,
        migration=_migration(migration),
    )


def _where(session: Any, org_id: int) -> str:
    """Where new files go, in words (the library's name read from Graph when it can be)."""
    organisation: Organisation = get_organisation(session, org_id)
    if organisation.file_storage_provider is FileStorageProvider.BUILTIN:
        return "Kinabase's built-in storage"
    name = organisation.sharepoint_drive_id or ""
    try:
        if organisation.entra_tenant_id and organisation.sharepoint_drive_id:
            name = drive.get_drive(
                organisation.entra_tenant_id, organisation.sharepoint_drive_id
            ).name
    except MicrosoftError:
        pass
    return f"the SharePoint library {name}"


def _migration(job: Job | None) -> dict[str, Any] | None:
    if job is None:
        return None
    return {
        "id": job.id,
        "status": job.status.value,
        "done": job.done,
        "total": job.total,
        "failed": job.failed,
        "error": job.error,
        "finished": job.status.value in ("succeeded", "failed"),
        "url": url_for("storage_api.migration", job_id=job.id),
    }
