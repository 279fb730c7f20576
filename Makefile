# The two commands of README.md: `make book` and `make test`. Both set everything up first
# (system packages, the virtual environment, vendored MathJax, offline data): see scripts/setup.sh.
PY := .venv/bin/python
PROFILE ?= ci
JOBS ?= 2

.PHONY: setup book test browser-check clean

setup:
	bash scripts/setup.sh

book: setup
	$(PY) -m companion build --profile $(PROFILE) --jobs $(JOBS)

test: setup
	$(PY) -m pytest

browser-check:
	$(PY) scripts/browser_check.py _build/html

clean:
	rm -rf _build book/notebooks book/scorecard.md
