"""``codesign schema [SECTION] [--json]``: the reference of every input, from the schemas that validate it."""

from __future__ import annotations

import argparse
import json

from codesign.scenarios.reference_docs import SECTIONS


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("schema", help="print the input reference (scenario, hardware, technology, optics files)",
                       description="Print the fields, types, defaults, limits and meaning of each input file, "
                       "generated from the schemas the commands validate with (docs/reference.md is this "
                       "output). --json prints the JSON Schema instead, for editors and other tools.")
    p.add_argument("section", nargs="?", choices=SECTIONS, default=None, help="one input (default: all)")
    p.add_argument("--json", action="store_true", help="JSON Schema of the section (default: Markdown)")
    p.set_defaults(func=_schema)


def _json_schema(section: str) -> dict:
    if section == "scenario":
        from codesign.scenarios.schema import ScenarioFile as model
    elif section == "hardware":
        from codesign.scenarios.hardware_schema import hardware_model

        model = hardware_model()
    elif section == "opm_tap":
        from codesign.scenarios.opmtap.config import OpmTapSection as model
    elif section == "technology":
        from codesign.cam.technology import TechnologyFile as model
    else:
        from codesign.optics.schema import OpticsScenarioFile as model
    return model.model_json_schema()


def _schema(args: argparse.Namespace) -> int:
    from codesign.scenarios.reference_docs import render, render_all

    if args.json:
        sections = [args.section] if args.section else list(SECTIONS)
        out = {s: _json_schema(s) for s in sections}
        print(json.dumps(out[args.section] if args.section else out, indent=2))
    else:
        print(render(args.section) if args.section else render_all(), end="" if args.section is None else "\n")
    return 0
