"""``codesign vgg8``: VGG-8 (CIFAR-10) on NeuroSim-like crossbars: area, energy, TOPS/W, TOPS, latency, ADC share."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("vgg8", help="cost VGG-8 (CIFAR-10) on NeuroSim-like RRAM crossbars",
                       description="Build the VGG-8 of compute-in-memory papers (random 8-bit weights), map its "
                       "conv/linear layers onto 128x128 RRAM crossbars (2 bits/cell, 1-bit input cycles, 5-bit ADC "
                       "shared by 8 columns) and print chip area, energy and latency per image, TOPS, TOPS/W and "
                       "the ADC's share of area and energy. See docs/validation.md (VGG-8 section).")
    p.add_argument("--adc-bits", type=int, default=5, help="ADC resolution in bits (default 5)")
    p.add_argument("--cols-per-adc", type=int, default=8, help="columns sharing one ADC (default 8)")
    p.add_argument("--subtract-in-analog", action="store_true",
                   help="subtract each differential column pair as currents before the ADC")
    p.add_argument("--json", type=Path, default=None, help="also write the result as JSON to this file")
    p.set_defaults(func=_vgg8, outputs=[("json", "file", "--json")])


def _vgg8(args: argparse.Namespace) -> int:
    from codesign.errors import CodesignError
    from codesign.scenarios.validation.vgg8 import markdown, run_vgg8
    from codesign.atomic import write_json

    if args.cols_per_adc < 1:
        raise CodesignError(f"--cols-per-adc: {args.cols_per_adc}; expected a positive integer")
    r = run_vgg8(adc_bits=args.adc_bits, cols_per_adc=args.cols_per_adc, subtract_in_analog=args.subtract_in_analog)
    s = r.setup
    print(f"VGG-8 / CIFAR-10 on {s['technology']} crossbars {s['rows']}x{s['cols']}, {s['cell_bits']} bits/cell, "
          f"{s['weight_bits']}-bit weights and inputs, {s['adc_bits']}-bit ADC per {s['cols_per_adc']} columns, "
          f"node {s['node']}\n")
    print(markdown(r), end="")
    if args.json is not None:
        write_json(args.json, r.to_dict(), indent=1)
        print(f"wrote {args.json}")
    return 0
