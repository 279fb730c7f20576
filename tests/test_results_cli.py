"""Committed paper-profile results: `python -m companion results save` and the scorecard column."""
from __future__ import annotations

import json

from companion import cli, records
from tests.test_cli import fixture_repo  # noqa: F401  (the fixture repository)


def test_results_save_keeps_paper_runs_and_the_scorecard_shows_them(fixture_repo, capsys):
    assert cli.main(["run", "fixture-nb", "--profile", "paper", "-p", "n=7"]) == 0
    assert cli.main(["results", "save", "--profile", "paper"]) == 0
    kept = fixture_repo / "results" / "paper" / "fixture-nb.json"
    payload = json.loads(kept.read_text())
    assert payload["provenance"]["profile"] == "paper"
    assert payload["records"][0]["ours"] == 7
    assert {"machine", "date", "wall_time_s"} <= set(payload["provenance"])
    # a ci run afterwards shows the committed paper value beside its own
    assert cli.main(["run", "fixture-nb"]) == 0
    executed = json.loads((fixture_repo / "book" / "notebooks" / "fixture-nb.ipynb").read_text())
    shown = "".join("".join(o.get("data", {}).get("text/markdown", ""))
                    for c in executed["cells"] for o in c.get("outputs", []))
    assert "paper profile" in shown and "committed run" in shown
    assert records.load_results("paper", fixture_repo / "results" / "paper")["fixture-nb"]


def test_results_save_refuses_ci_and_says_when_nothing_to_save(fixture_repo, capsys):
    assert cli.main(["results", "save", "--profile", "ci"]) == 2
    assert "paper" in capsys.readouterr().err
    assert cli.main(["results", "save", "--profile", "paper"]) == 1
    assert "run a notebook first" in capsys.readouterr().err
