"""GNPy-compatible import and network design (no GNPy needed): defaults for nulls, amplifier insertion,
fibre splitting, power-mode gains and types, ROADM loss/targets/add-drop OSNR, errors, ROADMs on the kernel."""

import json
import math

import numpy as np
import pytest

from codesign.bench.optics_vs_gnpy import _state
from codesign.errors import CodesignError
from codesign.optics import Edfa, Fiber, LineState, OpticsInputError, Roadm, Voa, load_gnpy_line
from codesign.optics.topology import designed_path

EQPT = {
    "SI": [{"f_min": 191.35e12, "f_max": 195.1e12, "baud_rate": 32e9, "spacing": 50e9, "power_dbm": 0,
            "power_range_db": [0, 0, 1], "roll_off": 0.15, "tx_osnr": 40, "sys_margins": 2}],
    "Span": [{"power_mode": True, "delta_power_range_db": [-2, 3, 0.5], "max_length": 150, "length_units": "km",
              "padding": 10, "EOL": 0, "con_in": 0.5, "con_out": 0.5}],
    "Roadm": [{"target_pch_out_db": -20, "add_drop_osnr": 38,
               "restrictions": {"preamp_variety_list": [], "booster_variety_list": []}},
              {"type_variety": "roadm_hi", "target_pch_out_db": -18, "add_drop_osnr": 35}],
    "Fiber": [{"type_variety": "SSMF", "dispersion": 1.67e-05, "effective_area": 83e-12, "pmd_coef": 1.265e-15}],
    "Edfa": [{"type_variety": "lo", "type_def": "variable_gain", "gain_flatmax": 16, "gain_min": 8, "p_max": 23,
              "nf_min": 6.5, "nf_max": 11, "allowed_for_design": True},
             {"type_variety": "med", "type_def": "variable_gain", "gain_flatmax": 26, "gain_min": 15, "p_max": 23,
              "nf_min": 6, "nf_max": 10, "allowed_for_design": True},
             {"type_variety": "ola", "type_def": "openroadm", "allowed_for_design": False}],
}


def _fiber(uid, km, **p):
    return {"uid": uid, "type": "Fiber", "type_variety": "SSMF",
            "params": {"length": km, "length_units": "km", "loss_coef": 0.2, "con_in": None, "con_out": None, **p}}


def _topo(extra_elements=(), roadm_a=None):
    els = [{"uid": "trx A", "type": "Transceiver"}, {"uid": "roadm A", "type": "Roadm", "params": roadm_a},
           _fiber("fiber AB", 300), {"uid": "roadm B", "type": "Roadm"}, {"uid": "fused B", "type": "Fused"},
           _fiber("fiber BC", 60), {"uid": "roadm C", "type": "Roadm"}, {"uid": "trx C", "type": "Transceiver"},
           *extra_elements]
    chain = ["trx A", "roadm A", "fiber AB", "roadm B", "fused B", "fiber BC", "roadm C", "trx C"]
    return {"elements": els, "connections": [{"from_node": a, "to_node": b} for a, b in zip(chain[:-1], chain[1:])]}


def _files(tmp_path, topo, eqpt=EQPT, name="topo.json"):
    t, e = tmp_path / name, tmp_path / "eqpt.json"
    t.write_text(json.dumps(topo))
    e.write_text(json.dumps(eqpt))
    return t, e


def test_design_inserts_splits_and_defaults(tmp_path):
    g, path, _ = designed_path(*_files(tmp_path, _topo()), "trx A", "trx C")
    assert path[:4] == ["trx A", "roadm A", "Edfa_booster_roadm A_to_fiber AB_(1/3)", "fiber AB_(1/3)"]
    assert "Edfa_fiber AB_(1/3)" in path and "Edfa_preamp_roadm B_from_fiber AB_(3/3)" in path
    assert g.nodes["fiber AB_(2/3)"]["params"]["length"] == pytest.approx(100.0)  # 300 km -> 3 x 100 km
    assert not any(u.startswith("Edfa_booster_roadm B") for u in path)  # a Fused follows the ROADM: no booster
    line = load_gnpy_line(*_files(tmp_path, _topo()), "trx A", "trx C")
    fused = [e for e in line.elements if isinstance(e, Voa)]
    assert [f.loss_db for f in fused] == [1.0]  # GNPy's default Fused loss
    assert all(f.con_in_db == 0.5 and f.con_out_db == 0.5 for f in line.spans)  # null -> Span default


def test_power_mode_gains_and_types(tmp_path):
    g, path, _ = designed_path(*_files(tmp_path, _topo()), "trx A", "trx C")
    span = 100 * 0.2 + 0.5 + 0.5  # 21 dB
    dp = round((span - 20) * 0.3 / 0.5) * 0.5  # delta_p of a 21 dB span: 0.5 dB
    booster, inline = g.nodes["Edfa_booster_roadm A_to_fiber AB_(1/3)"], g.nodes["Edfa_fiber AB_(1/3)"]
    preamp = g.nodes["Edfa_preamp_roadm B_from_fiber AB_(3/3)"]
    assert booster["gain_db"] == pytest.approx(dp - (-20 - 0))  # from the ROADM's -20 dBm to 0 dBm + dp
    assert inline["gain_db"] == pytest.approx(span)
    assert preamp["gain_db"] == pytest.approx(span - dp)  # delta_p = 0 before a ROADM
    assert booster["target_pch_out_dbm"] == pytest.approx(dp)
    # lo cannot reach 0 dBm/ch x 76 + dp with 16 + 2.5 dB of gain from -1.7 dBm: med is chosen
    assert {booster["variety"], inline["variety"], preamp["variety"]} == {"med"}
    # behind roadm B a Fused (no booster): from -20 dBm over 1 + 12 + 1 dB to 0 dBm needs 34 dB; no type reaches
    # the power, so the most powerful (med) is chosen and the target lowered to what it can give
    far = g.nodes["Edfa_preamp_roadm C_from_fiber BC"]
    p_tot = 10 * math.log10(76)
    reduction = min(p_tot - 34 + 26 + 2.5, 23) - p_tot
    assert far["variety"] == "med" and far["gain_db"] == pytest.approx(34 + reduction)


def test_roadm_loss_targets_and_add_drop_osnr(tmp_path):
    roadm_a = {"loss": 25, "per_degree_pch_out_db": {"Edfa_booster_roadm A_to_fiber AB_(1/3)": -19}}
    topo = _topo(roadm_a=roadm_a)
    topo["elements"][3]["type_variety"] = "roadm_hi"
    line = load_gnpy_line(*_files(tmp_path, topo), "trx A", "trx C")
    ra, rb, rc = [e for e in line.elements if isinstance(e, Roadm)]
    assert (ra.loss_db, ra.target_pch_out_dbm) == (25.0, -19.0)
    assert rb.target_pch_out_dbm == -18.0  # type_variety roadm_hi
    # add/drop OSNR only at the add (A) and drop (C) ROADM, 38 + 3 dB each; express B charges nothing
    assert line.receiver.extra_osnr_db == pytest.approx((38 + 10 * math.log10(2),) * 2)
    ref = line.evaluate_reference()
    booster_in = ref["mon_power_dbm"][1]  # 0 dBm - 25 dB: below the -19 dBm target, a ROADM does not amplify
    assert np.allclose(booster_in, -25.0, atol=1e-3)


def test_roadm_lines_run_on_the_fast_kernel(tmp_path):
    line = load_gnpy_line(*_files(tmp_path, _topo()), "trx A", "trx C")
    assert sum(isinstance(e, Roadm) for e in line.elements) == 3 and isinstance(line.elements[-2], Edfa)
    st = _state(line, 300, seed=1)
    fast, ref = line.evaluate(st, ber=False), line.evaluate_reference(st)
    for key in ("power_dbm", "osnr_db", "gsnr_db", "mon_power_dbm", "mon_osnr_db"):
        assert np.max(np.abs(fast[key] - ref[key])) < 0.01, key
    on = np.ones((1, 76))
    on[0, ::7] = 0  # dark channels stay dark through the ROADMs
    out = line.evaluate(LineState(1, channel_on=on))
    assert np.all(np.isneginf(out["power_dbm"][0, ::7])) and np.all(np.isfinite(out["power_dbm"][0, 1::7]))


def test_explicit_path_and_fiber_objects(tmp_path):
    t, e = _files(tmp_path, _topo())
    g, path, _ = designed_path(t, e, "trx A", "trx C")
    line = load_gnpy_line(t, e, path=path)
    assert [x.uid for x in line.elements] == path[1:-1] and all(isinstance(f, Fiber) for f in line.spans)


@pytest.mark.parametrize("element,field", [
    ({"uid": "raman 1", "type": "RamanFiber", "params": {"length": 80, "loss_coef": 0.2}}, "elements[raman 1].type"),
    ({"uid": "mb 1", "type": "Multiband_amplifier"}, "elements[mb 1].type"),
    ({"uid": "ola 1", "type": "Edfa", "type_variety": "ola"}, "elements[ola 1].type_variety"),
])
def test_unsupported_elements_name_element_and_file(tmp_path, element, field):
    t, e = _files(tmp_path, _topo(extra_elements=[element]))
    with pytest.raises(OpticsInputError) as exc:
        load_gnpy_line(t, e, "trx A", "trx C")
    assert isinstance(exc.value, CodesignError) and field in str(exc.value)
    assert str(t) in str(exc.value)


def test_non_json_topology_is_one_error(tmp_path):
    xls = tmp_path / "net.xls"
    xls.write_bytes(b"\xd0\xcf\x11\xe0 not json")
    with pytest.raises(OpticsInputError, match=r"net\.xls.*spreadsheet"):
        load_gnpy_line(xls, _files(tmp_path, _topo())[1])


def test_roadm_psd_target(tmp_path):
    topo = _topo(roadm_a={"target_psd_out_mWperGHz": 3.125e-4})  # x 32 GBd = 0.01 mW = -20 dBm; B: -18 dBm
    topo["elements"][3]["params"] = {"per_degree_pch_psw": {"fused B": 4e-4}}  # x 50 GHz = 0.02 mW
    line = load_gnpy_line(*_files(tmp_path, topo), "trx A", "trx C")
    ra, rb, _ = [e for e in line.elements if isinstance(e, Roadm)]
    assert ra.target_pch_out_dbm == pytest.approx(-20.0)
    assert rb.target_pch_out_dbm == pytest.approx(10 * math.log10(0.02))


@pytest.mark.parametrize("where,mutate", [
    ("elements[fiber AB].params.con_in", lambda t, e: t["elements"][2]["params"].update(con_in="0.5")),
    ("elements[roadm A].params.target_pch_out_db",
     lambda t, e: t["elements"][1].update(params={"target_pch_out_db": True})),
    ("SI[0].spacing", lambda t, e: e["SI"][0].pop("spacing")),
    ("Edfa[med]", lambda t, e: e["Edfa"][1].pop("nf_max")),
])
def test_bad_numbers_are_one_error(tmp_path, where, mutate):
    topo, eqpt = _topo(), json.loads(json.dumps(EQPT))
    mutate(topo, eqpt)
    with pytest.raises(OpticsInputError) as exc:
        load_gnpy_line(*_files(tmp_path, topo, eqpt), "trx A", "trx C")
    assert where in str(exc.value)


def test_route_is_shortest_fibre_length(tmp_path):
    topo = _topo(extra_elements=[_fiber("fiber AC", 200)])
    topo["connections"] += [{"from_node": "roadm A", "to_node": "fiber AC"},
                            {"from_node": "fiber AC", "to_node": "roadm C"}]
    _, path, _ = designed_path(*_files(tmp_path, topo), "trx A", "trx C")  # 200 km beats 300 + 60 km via B
    assert "roadm B" not in path and "fiber AC_(1/2)" in path  # 200 km > 150 km: two 100 km spans


def test_roadm_restrictions_choose_the_booster(tmp_path):
    eqpt = json.loads(json.dumps(EQPT))
    eqpt["Roadm"][0]["restrictions"]["booster_variety_list"] = ["lo"]
    g, path, _ = designed_path(*_files(tmp_path, _topo(), eqpt), "trx A", "trx C")
    assert g.nodes["Edfa_booster_roadm A_to_fiber AB_(1/3)"]["variety"] == "lo"  # med without the restriction
    eqpt["Roadm"][0]["restrictions"]["booster_variety_list"] = ["ola"]
    with pytest.raises(OpticsInputError, match="openroadm"):
        designed_path(*_files(tmp_path, _topo(), eqpt), "trx A", "trx C")
