# drugscreen: `make demo` (set up + screen the bundled example) and `make test` (set up + tests).
# Both create .venv on first use: torch==2.13.0 first (the CPU wheel here), then the package.

PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.drugscreen-installed
EXAMPLE = examples/example_drugs.smi
SCORED  = examples/example_drugs_scored.csv
REPORT  = examples/example_drugs_report.html
PYTEST_ARGS ?= -q
# Extra pip arguments for torch: empty where pip's index serves the CPU wheel (these machines, CI);
# elsewhere `make demo TORCH_PIP_ARGS="--index-url https://download.pytorch.org/whl/cpu"`, or
# plain PyPI installs the multi-GB CUDA build on Linux.
TORCH_PIP_ARGS ?=

# Tests that need the shared datasets run when DRUGSCREEN_DATA_DIR is set, or when
# ../shared/datasets exists beside the checkout; otherwise they are skipped.
ifeq ($(DRUGSCREEN_DATA_DIR),)
ifneq ($(wildcard ../shared/datasets),)
export DRUGSCREEN_DATA_DIR := $(abspath ../shared/datasets)
endif
endif

.PHONY: demo test lint bench-startup venv clean-venv

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install torch==2.13.0 $(TORCH_PIP_ARGS)
	$(BIN)/python -m pip install -e ".[dev]"
	touch $(STAMP)

# Screens the example once a model panel ships in drugscreen/resources/models; until then it
# says so and shows what exists.
HAVE_PANEL = $(BIN)/python -c "import sys; from drugscreen.bundle import installed_models; sys.exit(0 if installed_models() else 1)"

demo: $(STAMP)
	@if $(BIN)/drugscreen screen --help >/dev/null 2>&1 && $(HAVE_PANEL) >/dev/null 2>&1; then \
		echo "+ drugscreen screen $(EXAMPLE) -o $(SCORED) --report $(REPORT)"; \
		$(BIN)/drugscreen screen $(EXAMPLE) -o $(SCORED) --report $(REPORT) && \
		echo "Scores written to $(SCORED); report: $(REPORT) (open it in a browser)"; \
	else \
		echo "Screening models are not there yet: no model panel ships in this build."; \
		echo "Showing what exists instead: the dataset registry."; \
		echo "+ drugscreen datasets list"; \
		$(BIN)/drugscreen datasets list; \
	fi

# pytest exits 5 when no tests are collected; that is not a failure.
test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS) || test $$? -eq 5

lint: $(STAMP)
	$(BIN)/ruff check drugscreen tests benchmarks

bench-startup: $(STAMP)
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/python benchmarks/cli_startup.py

clean-venv:
	rm -rf $(VENV)
