"""Imports over HTTP, for admins: ``POST /api/import/{kind}`` (multipart: the file and the same
options as the CLI) answers the import report; rows rejected are 422 problem+json carrying it.
Also the kinds and their fields, templates to download, and what of the county is loaded."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path as FilePath
from typing import Literal

from fastapi import APIRouter, Depends, File, Form, Path, Request, UploadFile
from fastapi.responses import FileResponse
from sqlalchemy.orm import Session

from backend.auth.deps import admin, operator
from backend.http import get_session, problem, problems
from backend.imports import headers, service
from backend.imports.kinds import KINDS, kind_of
from backend.imports.spec import ImportUsageError, Options, parse_mapping
from backend.imports.summary import county_summary
from backend.imports.templates import write_template
from backend.models import AppUser

router = APIRouter(tags=["imports"])
CHUNK = 1 << 20


def _mapping(values: list[str] | None) -> dict[str, str]:
    items = [
        part.strip() for v in values or [] for part in v.replace("\r", "\n").replace(",", "\n").split("\n")
    ]
    return parse_mapping([i for i in items if i])


def _save(upload: UploadFile, directory: FilePath) -> FilePath:
    """Stream the upload to a file of the same name (its suffix tells the format)."""
    name = FilePath(upload.filename or "upload").name or "upload"
    if name.lower().endswith(".shp"):
        raise ImportUsageError(
            f"{name}: a shapefile is several files; upload them zipped "
            "(.zip with .shp, .shx, .dbf, .prj, .cpg)"
        )
    target = directory / name
    with open(target, "wb") as fh:
        shutil.copyfileobj(upload.file, fh, CHUNK)
    return target


@router.get(
    "/api/import/kinds",
    summary="What can be imported: kinds and their fields (admins)",
    responses=problems(401, 403),
)
def list_kinds(_: AppUser = Depends(admin)) -> list[dict]:
    return [
        {
            "kind": k.name,
            "zh": k.zh,
            "en": k.en,
            "help": k.help,
            "geometry": k.geometry,
            "osm": bool(k.readers),
            "fields": [
                {"name": f.name, "zh": f.zh, "en": f.en, "required": f.required, "type": f.type}
                for f in headers.all_fields(k)
            ],
        }
        for k in KINDS.values()
    ]


@router.get(
    "/api/import/templates/{name}",
    summary="A template to fill in: KIND.xlsx or KIND.csv (admins)",
    responses=problems(400, 401, 403, 404),
)
def template(name: str = Path(pattern=r"^[a-z-]+\.(xlsx|csv)$"), _: AppUser = Depends(admin)):
    kind, _, ext = name.rpartition(".")
    kind_of(kind)
    directory = FilePath(tempfile.mkdtemp(prefix="riskmap-template-"))
    path = directory / name
    write_template(kind, path)
    media = (
        "text/csv" if ext == "csv" else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    from starlette.background import BackgroundTask

    return FileResponse(
        path,
        media_type=media,
        filename=f"riskmap-{name}",
        background=BackgroundTask(shutil.rmtree, directory, True),
    )


@router.get(
    "/api/import/summary",
    summary="What of the county is loaded and what is missing (operators)",
    responses=problems(401, 403),
)
def summary(_: AppUser = Depends(operator), session: Session = Depends(get_session)) -> dict:
    return county_summary(session.connection())


@router.post(
    "/api/import/{kind}",
    summary="Import a file of KIND (admins); the report says what was found",
    responses=problems(400, 401, 403, 404, 413, 422),
)
def import_file(
    request: Request,
    kind: str = Path(description="county, townships, villages, shelters, hazard-sites, recipients, roads …"),
    file: UploadFile = File(
        ..., description="GeoPackage, zipped Shapefile, GeoJSON, CSV, XLSX (roads: .osm.pbf)"
    ),
    map: list[str] | None = Form(None, description="COLUMN=FIELD, repeatable (or one per line)"),  # noqa: A002
    crs: str | None = Form(None, description="the file's CRS when it names none, e.g. EPSG:4547"),
    coords: Literal["wgs84", "gcj02", "bd09"] = Form("wgs84"),
    sheet: str | None = Form(None, description="XLSX sheet or GeoPackage layer"),
    encoding: str | None = Form(None),
    dry_run: bool = Form(False, description="check everything, write nothing"),
    skip_rejected: bool = Form(False, description="write the valid rows even when some are rejected"),
    user: AppUser = Depends(admin),
):
    kind_of(kind)
    options = Options(
        mapping=_mapping(map),
        crs=crs or None,
        coords=coords,
        sheet=sheet or None,
        encoding=encoding or None,
        dry_run=dry_run,
        partial=skip_rejected,
    )
    with tempfile.TemporaryDirectory(prefix="riskmap-import-") as tmp:
        path = _save(file, FilePath(tmp))
        report = service.run_import(request.app.state.engine, kind, path, options, user.username)
    body = report.to_json()
    if report.status == "rejected":
        detail = f"{report.file}: {report.rejected} row(s) rejected; nothing was written"
        file_level = [p.reason for p in report.errors if p.row is None]
        if file_level:
            detail = f"{report.file}: {file_level[0]}; nothing was written"
        return problem(422, "Rows rejected", detail, str(request.url.path), report=body)
    return body
