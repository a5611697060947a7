"""Bad topology / scenario files give one clear error naming file and field."""

import json

import networkx as nx
import pytest

from codesign.errors import CodesignError
from codesign.optics import OpticsInputError, line_from_graph, load_gnpy_line, load_scenario
from codesign.scenarios.cli import main

GOOD = {"elements": [{"uid": "A", "type": "Transceiver"},
                     {"uid": "F", "type": "Fiber", "params": {"length": 80, "loss_coef": 0.2}},
                     {"uid": "E", "type": "Edfa", "operational": {"gain_target": 16}},
                     {"uid": "B", "type": "Transceiver"}],
        "connections": [{"from_node": "A", "to_node": "F"}, {"from_node": "F", "to_node": "E"},
                        {"from_node": "E", "to_node": "B"}]}


def _write(tmp_path, topo):
    p = tmp_path / "topo.json"
    p.write_text(json.dumps(topo))
    return p


def test_good_topology_loads(tmp_path):
    line = load_gnpy_line(_write(tmp_path, GOOD))
    assert len(line.spans) == 1 and line.evaluate()["signal_dbm"].shape == (1, 76)


@pytest.mark.parametrize("mutate,field", [
    (lambda t: t["elements"][1]["params"].update(length=-5), "elements[F].params.length"),
    (lambda t: t["elements"][1]["params"].pop("loss_coef"), "elements[F].params.loss_coef"),
    (lambda t: t["elements"][2].update(type="Amplifier"), "elements[E].type"),
    (lambda t: t["connections"].pop(1), "connections"),
    (lambda t: t.pop("connections"), "connections"),
])
def test_topology_errors_name_file_and_field(tmp_path, mutate, field):
    topo = json.loads(json.dumps(GOOD))
    mutate(topo)
    p = _write(tmp_path, topo)
    with pytest.raises(OpticsInputError) as exc:
        load_gnpy_line(p)
    assert isinstance(exc.value, CodesignError)
    assert str(p) in str(exc.value) and field in str(exc.value)


def test_disconnected_networkx_graph():
    g = nx.DiGraph()
    g.add_node("A", type="Transceiver")
    g.add_node("B", type="Transceiver")
    with pytest.raises(OpticsInputError, match="disconnected"):
        line_from_graph(g)


SCEN = """
[line]
n_spans = 2
span_length_km = [80, {length}]
[time]
duration_s = 600
"""


def test_scenario_errors(tmp_path):
    p = tmp_path / "s.toml"
    p.write_text(SCEN.format(length=-3))
    with pytest.raises(OpticsInputError, match=r"line.span_length_km\[1\]"):
        load_scenario(p)
    p.write_text("[line]\nn_spans = 2\n")
    with pytest.raises(OpticsInputError, match="time"):
        load_scenario(p)
    p.write_text(SCEN.format(length=70) + '[[events]]\ntype = "meteor"\ntime_s = 10\n')
    with pytest.raises(OpticsInputError, match=r"events\[0\].type"):
        load_scenario(p)


def test_cli_reports_one_line(tmp_path, capsys):
    p = tmp_path / "s.toml"
    p.write_text(SCEN.format(length=-3))
    assert main(["optics", "simulate", str(p), "-o", str(tmp_path / "x.h5")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "span_length_km" in err[0]
    assert not (tmp_path / "x.h5").exists()
