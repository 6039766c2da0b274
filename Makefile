# The two commands a newcomer needs: `make run` and `make test`.
# `make lint` runs ruff, then mypy over every package (configured in pyproject.toml).
# `make lock` re-pins after a change to pyproject.toml (needs uv).
# Both build .venv from the pinned, hash-checked lock files with nothing but python3.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test test-unit lint migrate lock pot fonts nginx bench-wechat bench-step bench-sweep bench-dispatch bench-report bench-cluster bench-metrics fuzz clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Stamp files record which lock file the environment was built from.
$(VENV)/.runtime: requirements.lock pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q --disable-pip-version-check --require-hashes --no-deps -r requirements.lock
	$(BIN)/python -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $@

$(VENV)/.dev: requirements-dev.lock pyproject.toml $(VENV)/.runtime
	$(BIN)/python -m pip install -q --disable-pip-version-check --require-hashes --no-deps -r requirements-dev.lock
	touch $@

run: $(VENV)/.runtime
	$(BIN)/intake serve

migrate: $(VENV)/.runtime
	$(BIN)/intake db upgrade

test: $(VENV)/.dev
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The unit layer alone, pointed at a database that does not exist: it passes only if no
# unit test needs one.
UNIT_DATABASE_URL := postgresql+asyncpg://postgres@127.0.0.1:5432/does_not_exist
test-unit: $(VENV)/.dev
	DATABASE_URL=$(UNIT_DATABASE_URL) $(BIN)/python -m pytest tests/unit $(PYTEST_ARGS)

# Benchmarks are scripts, not tests: they print their figures (README: "Benchmarks").
bench-wechat: $(VENV)/.dev
	$(BIN)/python -m benchmarks.wechat_webhook $(BENCH_ARGS)

# The WeChat dialogue step beside a bare ORM step, on one core; BENCH_ARGS="--smoke" is
# CI's run of a few seconds, "--profile" the time of each stage of one message.
bench-step: $(VENV)/.dev
	$(BIN)/python -m benchmarks.dialogue_step $(BENCH_ARGS)

bench-sweep: $(VENV)/.dev
	$(BIN)/python -m benchmarks.scheduler_sweep $(BENCH_ARGS)

bench-dispatch: $(VENV)/.dev
	$(BIN)/python -m benchmarks.dispatcher_rate $(BENCH_ARGS)

# Four `intake serve` behind nginx on a throwaway PostgreSQL cluster of its own (port
# 55432), through a kill -9 and a database restart; BENCH_ARGS="--smoke" is CI's short run.
bench-cluster: $(VENV)/.dev
	$(BIN)/python -m benchmarks.cluster_load $(BENCH_ARGS)

bench-metrics: $(VENV)/.dev
	$(BIN)/python -m benchmarks.metrics_scrape $(BENCH_ARGS)

# A quarter's figures over 1,000,000 cases beside one bare GROUP BY; BENCH_ARGS="--smoke"
# is the quick run CI makes.
bench-report: $(VENV)/.dev
	$(BIN)/python -m benchmarks.report_quarter $(BENCH_ARGS)

# Generated webhook inputs, 100,000 by default; FUZZ_ARGS="--inputs 2000" is the smoke run.
fuzz: $(VENV)/.dev
	$(BIN)/python -m fuzz $(FUZZ_ARGS)

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

lock:
	uv pip compile pyproject.toml --extra build --python-version 3.11 --generate-hashes -o requirements.lock
	uv pip compile pyproject.toml --extra build --extra dev --python-version 3.11 --generate-hashes -o requirements-dev.lock

# What the report and the browser tests need from Debian: a CJK font for the charts'
# Chinese labels (and the pages in Chromium), and Chromium for the tests that open the
# HTML report and drive the chat page. Skipped when present; apt-get needs root.
FONT_PACKAGES := fonts-noto-cjk chromium
fonts:
	@missing=""; for p in $(FONT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then echo "fonts: $(FONT_PACKAGES) already installed"; \
	else apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; fi

# nginx, the load balancer in front of the processes of `make bench-cluster` (Debian's
# package; the benchmark runs it with a configuration of its own, never the system one).
# Skipped when present; apt-get needs root.
nginx:
	@if command -v nginx >/dev/null || [ -x /usr/sbin/nginx ]; then echo "nginx: already installed"; \
	else apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends nginx; fi

# The translators' template, core/messages/locale/messages.pot, from the .po files.
pot: $(VENV)/.runtime
	$(BIN)/python -m intake.catalog_template

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis .mypy_cache
