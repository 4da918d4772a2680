"""Templates: bilingual headers the importer recognises, one example row that parses cleanly."""

from __future__ import annotations

import pytest

from backend.imports import readers, rows
from backend.imports.kinds import KINDS
from backend.imports.spec import Options
from backend.imports.templates import write_template


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_a_template_reads_back_with_every_column_recognised(kind, suffix, tmp_path):
    path = tmp_path / f"{kind}{suffix}"
    write_template(kind, path)
    k = KINDS[kind]
    source = readers.read(path, k, Options())
    batch = rows.build(k, source, Options())
    assert len(batch) == 1
    assert set(batch.columns) == {
        *k.names,
        *({"lon", "lat"} if k.geometry == "point" else {"wkt"} if k.geometry else set()),
    }
    assert not batch.errors, [(e.field, e.reason) for e in batch.errors]
    assert batch.geometry is None or batch.geometry[0] is not None


def test_the_xlsx_template_explains_its_columns(tmp_path):
    import openpyxl

    write_template("shelters", tmp_path / "t.xlsx")
    book = openpyxl.load_workbook(tmp_path / "t.xlsx")
    assert book.sheetnames == ["避灾安置场所", "说明 notes"]
    headers = [c.value for c in book["避灾安置场所"][1]]
    assert headers[:2] == ["场所编号 code", "*场所名称 name"]
    notes = [[c.value for c in r] for r in book["说明 notes"].iter_rows(min_row=2)]
    assert any(r[0] == "场所类型 class" and "central" in (r[4] or "") for r in notes)
