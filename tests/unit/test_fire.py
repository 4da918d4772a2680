"""FWI against published reference values, classification edges, burnable mask, station CSV."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from backend.errors import InvalidInput
from pipelines.fire import fire_level, national_level, read_station_csv, station_fwi

# Van Wagner & Pickett (1985), Equations and FORTRAN program for the Canadian Forest Fire Weather
# Index System, test data: start codes FFMC 85, DMC 6, DC 15, April, latitude 46°N.
REFERENCE = pd.DataFrame(
    {
        "date": ["2026-04-13", "2026-04-14", "2026-04-15", "2026-04-16", "2026-04-17"],
        "temp": [17.0, 20.0, 8.5, 6.5, 13.0],
        "rh": [42, 21, 40, 25, 34],
        "wind": [25, 25, 17, 6, 24],
        "rain": [0.0, 2.4, 0.0, 0.0, 0.0],
    }
)
EXPECTED = {  # ffmc, dmc, dc, isi, bui, fwi
    "2026-04-13": (87.7, 8.5, 19.0, 10.9, 8.5, 10.1),
    "2026-04-14": (86.2, 10.4, 23.6, 8.8, 10.4, 9.3),
    "2026-04-15": (87.0, 11.8, 26.1, 6.5, 11.7, 7.6),
    "2026-04-16": (88.8, 13.2, 28.2, 4.9, 13.1, 6.2),
    "2026-04-17": (89.1, 15.4, 31.5, 12.6, 15.3, 14.8),
}


def test_fwi_codes_match_van_wagner_and_pickett_1985():
    out = station_fwi(REFERENCE, lat=46.0).set_index("date")
    for day, expected in EXPECTED.items():
        got = tuple(out.loc[day, ["ffmc", "dmc", "dc", "isi", "bui", "fwi"]])
        assert got == pytest.approx(expected, abs=0.051), day


@pytest.mark.parametrize(
    ("fwi", "national", "ours"),
    [
        (0.0, 1, 0),
        (5.19, 1, 0),
        (5.2, 1, 0),
        (11.19, 1, 0),
        (11.2, 2, 1),
        (21.29, 2, 1),
        (21.3, 3, 2),
        (37.99, 3, 2),
        (38.0, 4, 3),
        (49.99, 4, 3),
        (50.0, 5, 4),
        (120.0, 5, 4),
    ],
)
def test_effis_bands_map_to_national_levels_and_colours(fwi, national, ours):
    assert national_level(np.array([fwi]))[0] == national
    assert fire_level(np.array([fwi]), np.array([True]))[0] == ours


def test_nothing_burns_outside_forest_and_shrub():
    fwi = np.array([60.0, 60.0, np.nan])
    assert list(fire_level(fwi, np.array([False, True, True]))) == [0, 4, 0]


def test_station_csv_errors_name_the_file_and_fault(tmp_path):
    p = tmp_path / "s.csv"
    p.write_text("date,temp,rh,wind\n2026-01-01,1,2,3\n")
    with pytest.raises(InvalidInput, match=r"s\.csv: missing column\(s\) rain"):
        read_station_csv(p)
    p.write_text("date,temp,rh,wind,rain\n2026-01-01,10,50,5,0\n2026-01-03,10,50,5,0\n")
    with pytest.raises(InvalidInput, match="consecutive days; row 3"):
        read_station_csv(p)
    p.write_text("date,temp,rh,wind,rain\n2026-01-01,10,150,5,0\n")
    with pytest.raises(InvalidInput, match=r"rh out of range"):
        read_station_csv(p)
    with pytest.raises(InvalidInput, match="file not found"):
        read_station_csv(tmp_path / "none.csv")
