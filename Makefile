# The project's interface: `make demo` runs the main job locally, `make test` runs every check.
# Each target installs what it needs first (a .venv in the repo root plus node_modules).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
VENV := .venv
PYTHON ?= python3
CONFIG ?= config/default.yaml
OUT ?= cdk.out
# Node 22 from node_modules runs the CDK's jsii runtime (the machine's Node 20 is end-of-life for it).
export PATH := $(CURDIR)/node_modules/.bin:$(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: install tools lint test test-fast synth demo demo-deploy deploy-local local-down bench fuzz report-check schema clean

install: $(VENV)/.installed node_modules/.installed tools

$(VENV)/.installed: requirements.txt requirements-dev.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements-dev.txt
	$(VENV)/bin/pip install --quiet -e '.[local]'  # pyproject's runtime and local-world dependencies (pinned above)
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# shellcheck comes from Debian's packages; install it when we may, else say what is missing.
tools:
	@command -v shellcheck >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq shellcheck >/dev/null; \
	  else echo "shellcheck is missing: install it (apt-get install shellcheck)" >&2; exit 1; fi; }

lint: install
	ruff check .
	ruff format --check .
	mypy app.py stacks hadrill_cli bench tools documents $(wildcard lambdas simulator localworld localrunner fuzz)
	@scripts=$$(find documents tools -name '*.sh' -type f 2>/dev/null || true); \
	  if [ -n "$$scripts" ]; then shellcheck -S style $$scripts; fi
	@machines=$$(find statemachines -name '*.asl.json' -type f 2>/dev/null || true); \
	  for m in $$machines; do asl-validator --json-path "$$m" --silent; done

test: install lint
	pytest -n 2 --dist loadfile

# Tests without the linters, for a quick loop while editing.
test-fast: install
	pytest -x -q

# `make synth FLEET=config/fleet.yaml` builds a fleet instead: every listed cluster plus the fleet stack.
synth: install
	cdk synth --quiet --output $(OUT) $(if $(FLEET),-c fleet=$(FLEET),-c config=$(CONFIG))
	@echo "templates written to $(OUT)/"

# The main job on this machine: synthesize (offline), then run the real setup workflow and a
# network-down drill with switchback on a simulated cluster (moto + the LifeKeeper/HULFT
# simulator; nothing is deployed anywhere). Reports land in reports/.
demo: install
	cdk synth --quiet --output $(OUT) -c config=$(CONFIG)
	hadrill plan --assembly $(OUT) --config $(CONFIG)
	hadrill drill --local --scenario network-down --config $(CONFIG)

# The app deployed for real on this machine: a local AWS endpoint (moto + the simulated cluster, on
# 127.0.0.1), then the README's deploy steps with the real cdk and aws CLIs and hadrill in AWS mode
# (bootstrap, deploy, media, setup, drills, history, report), then the deploy checks and the IAM audit.
# The endpoint stays up: `eval "$$(hadrill local env)"` to use it, `make local-down` to stop it.
LOCAL_STATE ?= .hadrill-local
deploy-local: install
	STATE_DIR=$(LOCAL_STATE) KEEP_ENDPOINT=1 tools/rehearse-deploy.sh $(CONFIG)
	python -m localworld.deploy_checks $(LOCAL_STATE) $(LOCAL_STATE)/rehearsal/cdk.out

# The same flow as a demo that cleans up after itself (about 3 minutes; `make demo` is the 30 s one).
demo-deploy: install
	STATE_DIR=$(LOCAL_STATE) tools/rehearse-deploy.sh $(CONFIG)

local-down:
	hadrill local down --state-dir $(LOCAL_STATE)

# One table on stdout (progress on stderr), the same rows as JSON in bench/results.json;
# `make bench BENCH_ARGS=--quick` for fewer repetitions (about 2 minutes), see `python -m bench --help`.
bench: install
	python -m bench --config $(CONFIG) $(BENCH_ARGS)

# Hostile inputs per surface (config, execution input, SSM parameters, node output, routes, CLI): counts
# of refusals, crashes, hangs and accepted-but-invalid, then the worst time and memory to refuse an
# input under 64 KB; numbers in fuzz/results.json. Then the property tests with many more examples.
FUZZ_EXAMPLES ?= 2000
fuzz: install
	python -m fuzz --examples $(FUZZ_EXAMPLES)
	HADRILL_HYPOTHESIS_PROFILE=fuzz pytest -q -p no:xdist tests/unit/test_config_fields.py tests/unit/test_config_file.py \
	  tests/unit/test_parsers_fuzz.py tests/unit/test_ssm_parameters_fuzz.py tests/cli/test_bad_arguments.py

# The drill report as a person sees it: a fresh local drill's HTML page in headless Chromium (Debian's
# package, installed when we may), a screenshot, and a pixel check that the timeline picture renders.
REPORT_CHECK_DIR ?= reports/report-check
report-check: install
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium is missing: install it (apt-get install chromium)" >&2; exit 1; fi; }
	rm -rf $(REPORT_CHECK_DIR)
	hadrill drill --local --json --reports-dir $(REPORT_CHECK_DIR) >/dev/null
	python tools/report_screenshot.py $$(ls $(REPORT_CHECK_DIR)/drill-*.json) --out $(REPORT_CHECK_DIR)/report.png

# The drill report's JSON Schema, generated from its model (tests/unit/test_contracts.py fails when it is stale).
schema: install
	cd lambdas && python -m hadrill.contracts > ../docs/report.schema.json

clean:
	rm -rf $(OUT) reports .pytest_cache .mypy_cache .ruff_cache
