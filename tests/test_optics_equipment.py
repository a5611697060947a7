"""Equipment library (data/optics/equipment.json, opm.json): scenarios name equipment by type."""

import json

import pytest

from codesign.optics import ChannelPlan, Edfa, Fiber, OpticsInputError, load_scenario
from codesign.optics import equipment as eqmod
from codesign.optics.equipment import FIELDS, drift_figures, equipment, opm_figures
from codesign.scenarios.cli import main

SCEN = """
[line]
n_spans = 2
span_length_km = 80
{extra}
[time]
duration_s = 600
"""


def _scenario(tmp_path, extra="", tail=""):
    p = tmp_path / "s.toml"
    p.write_text(SCEN.format(extra=extra) + tail)
    return p


def test_library_entries_have_every_field_with_a_source():
    lib = equipment()
    for kind, fields in FIELDS.items():
        assert lib.names(kind), kind
        for name in lib.names(kind):
            e = lib.get(kind, name)
            assert set(e.values) == set(fields) == set(e.sources)
            assert all(len(s) > 10 for s in e.sources.values())
    assert set(opm_figures()) >= {"power_noise_db", "abs_accuracy_db", "min_power_dbm", "resolution_db"}
    assert set(drift_figures()) == {"span_loss_db_per_sqrt_h", "tx_power_db_per_sqrt_h", "max_drift_db",
                                    "amp_gain_noise_db", "step_s"}


def test_element_defaults_come_from_the_library():
    lib = equipment()
    fib, amp, trx, si = (lib.default(k) for k in ("Fiber", "Edfa", "Transceiver", "SI"))
    f, a, plan = Fiber("f", 80.0), Edfa("a"), ChannelPlan.grid()
    assert (f.loss_db_km, f.dispersion_ps_nm_km, f.effective_area_um2) == (
        fib["loss_db_km"], fib["dispersion_ps_nm_km"], fib["effective_area_um2"])
    assert (a.nf_db, a.p_max_dbm) == (amp["nf_db"], amp["p_max_dbm"])
    assert plan.baud_rate_hz == trx["baud_rate_gbd"] * 1e9 and plan.tx_osnr_db == trx["tx_osnr_db"]
    assert plan.frequency_hz[0] == si["f_min_thz"] * 1e12 and plan.n_channels == 76


def test_scenario_names_equipment_and_overrides_single_values(tmp_path):
    sc = load_scenario(_scenario(tmp_path, 'fiber = "SSMF"\namplifier = "fixed_nf_5.5dB"\nloss_db_km = 0.25\n'
                                           'amp_nf_db = 6.0', "[opm]\nmin_power_dbm = -35\n"))
    fib = equipment().get("Fiber", "SSMF")
    span = sc.line.spans[0]
    assert span.loss_db_km == 0.25 and span.con_in_db == fib["con_in_db"]
    assert span.loss_db == pytest.approx(80 * 0.25 + fib["con_in_db"] + fib["con_out_db"])
    assert sc.line.amps[0].nf_db == 6.0 and sc.line.amps[0].p_max_dbm == equipment().default("Edfa")["p_max_dbm"]
    assert sc.line.receiver.modulation == equipment().default("Transceiver")["modulation"]
    assert sc.opm["min_power_dbm"] == -35.0
    assert {k: sc.opm[k] for k in ("power_noise_db", "resolution_db")} == {
        k: opm_figures()[k] for k in ("power_noise_db", "resolution_db")}
    assert sc.drift == drift_figures()


@pytest.mark.parametrize("line,field,known", [
    ('fiber = "G.652X"', "line.fiber", "SSMF"),
    ('amplifier = "booster9"', "line.amplifier", "fixed_nf_5.5dB"),
    ('transceiver = "16QAM-64G"', "line.transceiver", "DP-QPSK-32GBd"),
    ("fiber = 3", "line.fiber", "string"),
])
def test_unknown_type_names_file_field_and_known_types(tmp_path, line, field, known):
    p = _scenario(tmp_path, line)
    with pytest.raises(OpticsInputError) as exc:
        load_scenario(p)
    msg = str(exc.value)
    assert str(p) in msg and f"'{field}'" in msg and known in msg


def test_cli_reports_unknown_type_in_one_line(tmp_path, capsys):
    p = _scenario(tmp_path, 'fiber = "G.652X"')
    assert main(["optics", "simulate", str(p), "-o", str(tmp_path / "x.h5")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "line.fiber" in err[0] and "SSMF" in err[0]


def test_library_value_without_source_is_rejected(tmp_path, monkeypatch):
    raw = json.loads(eqmod._data_file("equipment.json").read_text())
    del raw["Fiber"][0]["loss_db_km"]["source"]
    (tmp_path / "equipment.json").write_text(json.dumps(raw))
    monkeypatch.setattr(eqmod, "_data_file", lambda name: tmp_path / name)
    equipment.cache_clear()
    try:
        with pytest.raises(OpticsInputError, match=r"Fiber\[SSMF\]\.loss_db_km"):
            equipment()
    finally:
        monkeypatch.undo()
        equipment.cache_clear()
    assert equipment().get("Fiber", "SSMF")["loss_db_km"] > 0


@pytest.mark.parametrize("mutate, field, problem", [
    (lambda r: r["Fiber"][0].__setitem__("loss_db_kmm", {"value": 0.2, "source": "x" * 8}),
     "Fiber[SSMF].loss_db_kmm", "did you mean 'loss_db_km'"),
    (lambda r: r["Fiber"][0]["loss_db_km"].__setitem__("value", float("inf")), "Fiber[SSMF].loss_db_km.value", "finite"),
    (lambda r: r["Edfa"][0]["nf_db"].__setitem__("value", True), "nf_db.value", "valid number"),
    (lambda r: r["defaults"].__setitem__("Fiber", "G.652X"), "defaults.Fiber", "not one of"),
])
def test_library_schema_names_the_field(tmp_path, monkeypatch, mutate, field, problem):
    """equipment.json is validated by its pydantic schema: the error names the entry, the field and the rule."""
    raw = json.loads(eqmod._data_file("equipment.json").read_text())
    mutate(raw)
    (tmp_path / "equipment.json").write_text(json.dumps(raw, allow_nan=True))
    monkeypatch.setattr(eqmod, "_data_file", lambda name: tmp_path / name)
    equipment.cache_clear()
    try:
        with pytest.raises(OpticsInputError) as info:
            equipment()
    finally:
        monkeypatch.undo()
        equipment.cache_clear()
    assert info.value.field.endswith(field) and problem in str(info.value)
