"""docs/reference.md is generated from the schemas that validate the inputs; it must match the code."""

from __future__ import annotations

import json
from pathlib import Path

from codesign.scenarios.cli import main
from codesign.scenarios.reference_docs import render_all

DOC = Path(__file__).resolve().parents[1] / "docs" / "reference.md"


def test_reference_matches_the_schemas():
    assert DOC.read_text() == render_all(), "regenerate: codesign schema > docs/reference.md"


def test_reference_lists_every_hardware_setting_and_new_fields_appear():
    from codesign.scenarios.hardware_schema import hardware_fields

    text = render_all()
    names = [name for name, *_ in hardware_fields()]
    assert "hardware.cam.rows" in names and "hardware.crossbar.adc_bits" in names
    assert all(f"`{n}`" in text for n in names)
    assert "`params.<name>.source`" in text and "`constraints.<name>.max`" in text  # tables of entries
    assert "rows (stored prototypes) per CAM array" in text  # the dataclass comment is the documentation


def test_schema_command_prints_json_schema(capsys):
    assert main(["schema", "technology", "--json"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["additionalProperties"] is False and "params" in schema["required"]
