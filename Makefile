# The two commands of README.md: `make book` and `make test`. Both set everything up first
# (system packages, the virtual environment, vendored MathJax, offline data): see scripts/setup.sh.
PY := .venv/bin/python
PROFILE ?= ci
JOBS ?= 2

.PHONY: setup book test browser-check mutation clean

setup:
	bash scripts/setup.sh

book: setup
	$(PY) -m companion build --profile $(PROFILE) --jobs $(JOBS)

test: setup
	$(PY) -m pytest

browser-check:
	$(PY) scripts/browser_check.py _build/html

# Mutation testing of the mathematical modules (mutmut, one worker; not part of `make test` or CI).
# MUTATE=discrete (a group: bounds, discrete, latent, records) or module names, e.g. MUTATE="bit_depth".
mutation: setup
	$(PY) scripts/mutation.py $(MUTATE)

clean:
	rm -rf _build book/notebooks book/scorecard.md
