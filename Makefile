# The commands a newcomer needs. Each installs what is missing first.
SHELL := /bin/bash
export UV_PYTHON_DOWNLOADS := never
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1
UV := $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)
PYTEST_WORKERS ?= 2
CDK := infra/node_modules/.bin/cdk
ENV ?= development
TWIN_BUNDLE := build/lambda/twin-chat

.PHONY: run test lint format bench bundle synth deploy uv install install-dev clean

uv:
	@command -v uv >/dev/null 2>&1 || test -x $(HOME)/.local/bin/uv || python3 -m pip install --user --quiet uv

install: uv
	$(UV) sync --locked --inexact

install-dev: uv
	$(UV) sync --locked --all-extras

run: install  ## prepare demo data and serve every system on http://127.0.0.1:8000
	$(UV) run skyline serve

test: install-dev  ## the whole test suite
	$(UV) run pytest -n $(PYTEST_WORKERS) --dist loadfile

lint: install-dev  ## ruff and mypy (strict on the foundation)
	$(UV) run ruff check src tests bench infra
	$(UV) run ruff format --check src tests bench infra
	$(UV) run mypy src/foundation src/skyline src/twin_chat src/concert infra

format: install-dev
	$(UV) run ruff format src tests bench infra
	$(UV) run ruff check --fix src tests bench infra

bench: install-dev  ## benchmarks against same-run baselines; writes docs/benchmarks.md
	$(UV) run python -m bench

$(CDK): infra/package.json infra/package-lock.json
	npm ci --prefix infra --no-audit --no-fund

bundle: install-dev  ## the deployable Lambda bundle (ARM64 wheels, no docker)
	$(UV) run python -m infra.bundling $(TWIN_BUNDLE)

synth: install-dev $(CDK)  ## synthesize every stack for ENV (development|staging|production)
	$(CDK) synth -q -c env=$(ENV) $(if $(wildcard $(TWIN_BUNDLE)/twin_chat),-c twinBundle=$(TWIN_BUNDLE))

deploy: install-dev $(CDK)  ## deploy to ENV in the configured AWS account (ACCOUNT, REGION optional)
	infra/deploy_twin_chat.sh $(ENV) $(ACCOUNT) $(REGION)

clean:
	rm -rf .data cdk.out .pytest_cache .mypy_cache .ruff_cache
