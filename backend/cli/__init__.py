"""The ``riskmap`` command line (typer): one sub-app per capability, in this package.

Domain errors become one clear line and exit code 1 (:func:`backend.cli.common.clear_errors`).
"""

from __future__ import annotations

import sys

import typer

from backend.cli import county, db, evac, flood, imports, pipeline, sample, serve, users, warn

app = typer.Typer(
    help="riskmap: county risk one-map, warnings and evacuation.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(db.app, name="db")
app.add_typer(sample.app, name="sample")
app.add_typer(users.app, name="user")
app.add_typer(evac.app, name="evac")
app.add_typer(warn.app, name="warn")
app.add_typer(pipeline.app, name="pipeline")
app.command("fwi")(pipeline.fwi)
app.command("serve")(serve.serve)
app.command("worker")(serve.worker)
app.add_typer(imports.app, name="import")
app.add_typer(county.app, name="county")
# village flash-flood indicators: one more kind of `riskmap import`
imports.app.command("flood-indicators")(flood.flood_indicators)


def main() -> None:  # pragma: no cover
    sys.exit(app())

