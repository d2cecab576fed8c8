"""Scenario loading: every declared scenario loads; bad input is refused before anything runs."""

from __future__ import annotations

import math

import pytest

from abm.config import (
    EXPERIMENTS_DIR,
    SECTIONS,
    Scenario,
    ScenarioError,
    build_scenario,
    load_scenario,
    parameter_reference,
    parse_override,
)


@pytest.mark.parametrize("path", sorted(EXPERIMENTS_DIR.glob("*.toml")), ids=lambda p: p.stem)
def test_every_declared_scenario_loads(path):
    scenario = load_scenario(path)
    assert scenario.name == path.stem


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"ordering": {"max_inflaton": 2}}, r"ordering\.max_inflaton: unknown key"),
        ({"orderin": {}}, r"orderin: unknown section"),
        ({"fab": {"initial_capacity": -1.0}},
         r"fab\.initial_capacity = -1\.0: expected a number >= 0"),
        ({"demand": {"noise_sd": math.nan}}, r"demand\.noise_sd = nan: expected a number >= 0"),
        ({"run": {"months": 2.5}}, r"run\.months = 2\.5: expected an integer >= 1"),
        ({"ordering": {"inflation": "yes"}},
         r"ordering\.inflation = 'yes': expected true or false"),
        ({"allocation": {"rule": "fair"}}, r"allocation\.rule = 'fair': expected one of"),
        ({"ordering": {"duplicate_channels": 3}},
         r"ordering\.duplicate_channels = 3: expected <= topology\.channels_per_buyer = 2"),
        ({"topology": {"channels_per_buyer": 4}},
         r"topology\.channels_per_buyer = 4: expected <= topology\.distributors = 3"),
        ({"topology": {"hyperscalers": 0, "neoclouds": 0}}, r"expected at least one buyer"),
        ({"topology": {"hbm_shares": [0.5, 0.5]}}, r"expected one share per HBM supplier"),
        ({"topology": {"hbm_shares": [0.5, 0.4, 0.2]}}, r"expected positive shares summing to 1"),
        ({"run": {"start_date": "2023-13"}}, r"run\.start_date = '2023-13': expected YYYY-MM"),
        ({"demand": {"saturation_units": 1.0}}, r"demand\.saturation_units = 1\.0: expected >="),
    ],
)
def test_bad_input_is_refused_naming_key_value_and_expectation(data, message):
    with pytest.raises(ScenarioError, match=message):
        build_scenario(data)


def test_overrides_are_validated_like_the_file():
    scenario = load_scenario("baseline", {"ordering.max_inflation": 1.5, "run.seed": 9})
    assert scenario.ordering.max_inflation == 1.5 and scenario.run.seed == 9
    with pytest.raises(ScenarioError, match=r"ordering\.max_inflation = 0\.5"):
        load_scenario("baseline", {"ordering.max_inflation": 0.5})


def test_parse_override_reads_toml_values():
    assert parse_override("ordering.inflation=false") == ("ordering.inflation", False)
    assert parse_override("fab.lead_time_months=12") == ("fab.lead_time_months", 12)
    assert parse_override("allocation.rule=uniform") == ("allocation.rule", "uniform")
    with pytest.raises(ScenarioError, match="expected key=value"):
        parse_override("ordering.inflation")


def test_a_folder_named_like_a_scenario_does_not_hide_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "baseline").mkdir()
    assert load_scenario("baseline").name == "baseline"


def test_unknown_scenario_file_is_refused():
    with pytest.raises(ScenarioError, match="no such file"):
        load_scenario("does_not_exist")


def test_every_parameter_is_documented_with_unit_and_source():
    reference = parameter_reference()
    for section, cls in SECTIONS.items():
        for name, field in cls.__dataclass_fields__.items():
            assert f"`{section}.{name}`" in reference
            assert field.metadata["unit"] and field.metadata["source"] and field.metadata["doc"]
    assert Scenario().to_dict()["ordering"]["max_inflation"] == 2.0
