# Two entry points, both idempotent on a fresh clone:
#   make demo  - set everything up, build the default bundles, speak a paragraph to out/demo.wav
#   make test  - set everything up and run the whole test suite (what CI runs)
VENV   := .venv
PY     := $(VENV)/bin/python
KL     := $(VENV)/bin/kokoro-litert
STAMP  := $(VENV)/.installed

.PHONY: demo test setup system-deps bench

setup: $(STAMP)

# The JVM tests of android_demo's Java core need a JDK and JNA (Debian packages); installed when
# run as root and missing. Nothing else comes from apt.
system-deps:
	@if ! command -v javac >/dev/null || [ ! -f /usr/share/java/jna.jar ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq default-jdk-headless libjna-java >/dev/null; \
	  else \
	    echo "missing javac or JNA: run as root, or: sudo apt-get install default-jdk-headless libjna-java"; \
	  fi; \
	fi

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[dev]"
	$(PY) -m pip install -q --no-deps resemblyzer==0.1.4
	touch $(STAMP)

demo: $(STAMP)
	$(KL) weights
	$(KL) build
	mkdir -p out
	$(KL) say --demo -o out/demo.wav

test: $(STAMP) system-deps
	$(PY) -m pytest -q

bench: $(STAMP)
	$(KL) bench --json out/bench.json
