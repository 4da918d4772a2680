"""County rules files: the shipped default is today's tables, a county file changes what it names,
and a bad file is refused with the file and the key."""

from __future__ import annotations

import numpy as np
import pytest

from backend.errors import InvalidInput
from pipelines import rainfall
from pipelines.fire import BURNABLE_CLASSES, EFFIS
from pipelines.geohazard import SusceptibilityRule, TriggerThresholds
from pipelines.rules import load_rules


def test_the_shipped_default_is_the_documented_tables():
    r = load_rules()
    assert r.source == "default"
    assert r.rain == rainfall.CMA
    assert r.fire == EFFIS and r.burnable == BURNABLE_CLASSES
    assert r.susceptibility == SusceptibilityRule()
    assert r.trigger == TriggerThresholds()
    assert (r.flood_prepare, r.flood_move) == (3, 4)


def test_a_county_file_changes_only_what_it_names(tmp_path):
    p = tmp_path / "county.toml"
    p.write_text(
        """
[rain]
rules = [
  { level = "blue", hours = 24, mm = 50 },
  { level = "red", hours = 3, mm = 80 },
]
[geohazard.trigger.thresholds_mm]
5 = [30, 45, 70, 100]
[flood]
prepare = "yellow"
"""
    )
    r = load_rules(p)
    assert r.rain.windows == (3, 24) and r.rain.rules[-1] == rainfall.RainstormRule(4, 3, 80.0)
    assert r.trigger.by_class[5] == (30.0, 45.0, 70.0, 100.0)
    assert r.trigger.by_class[4] == TriggerThresholds().by_class[4]  # merged, not replaced
    assert r.fire == EFFIS and (r.flood_prepare, r.flood_move) == (2, 4)
    assert r.to_json()["source"] == str(p)


def test_a_changed_threshold_changes_levels():
    rain = np.zeros((6, 1, 2), np.float32)
    rain[:3, 0, 0] = 27.0  # 81 mm in 3 h
    rain[:3, 0, 1] = 20.0  # 60 mm in 3 h
    lower_red = rainfall.RainstormThresholds((*rainfall.CMA.rules[:3], rainfall.RainstormRule(4, 3, 80.0)))
    assert rainfall.numpy_levels(rain).tolist() == [[3, 3]]
    assert rainfall.numpy_levels(rain, lower_red).tolist() == [[4, 3]]


def test_yaml_works_too(tmp_path):
    p = tmp_path / "county.yaml"
    p.write_text(
        "fire:\n  bounds: [4, 10, 20, 35, 48]\ngeohazard:\n  trigger:\n    thresholds_mm:\n      2: []\n"
    )
    r = load_rules(p)
    assert r.fire.bounds == (4.0, 10.0, 20.0, 35.0, 48.0)
    assert r.trigger.by_class[2] == (np.inf,) * 4


@pytest.mark.parametrize(
    "text,match",
    [
        (
            "[rain]\nrules = [{ level = 'blue', hours = 0, mm = 50 }]",
            r"rain.rules\[0\].hours: must be a whole number",
        ),
        (
            "[rain]\nrules = [{ level = 'purple', hours = 3, mm = 50 }]",
            r"rain.rules\[0\].level: must be a level",
        ),
        (
            "[rain]\nrules = [{ level = 'red', hours = 3 }]",
            r"rain.rules\[0\]: must have exactly level, hours and mm",
        ),
        ("[fire]\nbounds = [5, 4, 21, 38, 50]", "fire.bounds: must increase"),
        ("[fire]\nbound = [5]", r"fire.bound: unknown key \(known here: fire.bounds"),
        ("[storm]\nx = 1", "storm: unknown key"),
        ("[fire]\nburnable = ['jungle']", "fire.burnable: unknown land-cover class 'jungle'"),
        ("[geohazard.trigger]\ndecay = 1.5", r"geohazard.trigger.decay: must be ≤ 1"),
        ("[geohazard.trigger.thresholds_mm]\n4 = [50, 40, 110, 160]", "thresholds_mm.4: must not decrease"),
        ("[flood]\nprepare = 'red'\nmove = 'orange'", "flood.move: must be at least"),
        ("[rain\nrules = 3", "not valid TOML"),
    ],
)
def test_a_bad_rules_file_names_the_file_and_key(tmp_path, text, match):
    p = tmp_path / "county.toml"
    p.write_text(text)
    with pytest.raises(InvalidInput, match=match) as err:
        load_rules(p)
    assert err.value.detail.startswith(str(p))


def test_a_missing_or_odd_rules_file(tmp_path):
    with pytest.raises(InvalidInput, match="nope.toml: file not found"):
        load_rules(tmp_path / "nope.toml")
    (tmp_path / "rules.ini").write_text("x=1")
    with pytest.raises(InvalidInput, match=r"rules.ini: a rules file is .toml, .yaml or .yml"):
        load_rules(tmp_path / "rules.ini")
