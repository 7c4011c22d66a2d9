# Two entry points, both idempotent on a fresh clone:
#   make demo  - set everything up, build the default bundles, speak a paragraph to out/demo.wav
#   make test  - set everything up and run the whole test suite (what CI runs)
VENV   := .venv
PY     := $(VENV)/bin/python
KL     := $(VENV)/bin/kokoro-litert
STAMP  := $(VENV)/.installed

.PHONY: demo test setup bench clean-bundles

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[dev]"
	touch $(STAMP)

demo: $(STAMP)
	$(KL) weights
	$(KL) build
	mkdir -p out
	$(KL) say --demo -o out/demo.wav

test: $(STAMP)
	$(PY) -m pytest -q

bench: $(STAMP)
	$(KL) bench --json out/bench.json
