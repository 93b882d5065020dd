# The template's own tasks. A fresh machine needs only Python 3.11, make and git.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
DEMO_DIR := build
DEMO_PROJECT := $(DEMO_DIR)/capstone-project
# The generation hook and the demo find the tools (pre-commit, ...) of .venv first.
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: help venv demo test lint docs clean

help:  ## Show the available commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(BIN)/.installed: requirements/template-dev.txt
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) not found: install Python 3.11 or pass PYTHON=/path/to/python3.11"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements/template-dev.txt
	@touch $@

venv: $(BIN)/.installed  ## Create .venv with the template's tools and the generated project's dependencies

demo: venv  ## Generate a project with the default answers under build/, install it, train it on digits
	rm -rf $(DEMO_PROJECT)
	$(BIN)/cookiecutter --no-input --output-dir $(DEMO_DIR) .
	$(BIN)/python -m pip install --quiet --no-deps -e $(DEMO_PROJECT)
	cd $(DEMO_PROJECT) && $(abspath $(BIN))/python -m capstone_project.train experiment=digits_resnet18

test: venv  ## Run the template's tests (they bake projects and run the projects' own checks)
	$(BIN)/python -m pytest

lint:  venv ## Lint the hooks, the scripts and the template tests
	$(BIN)/ruff check hooks scripts tests local_extensions.py
	$(BIN)/ruff format --check hooks scripts tests local_extensions.py

docs: venv  ## Rewrite the README's options table from cookiecutter.json (a test fails until you do)
	$(BIN)/python scripts/options_table.py

clean:  ## Remove the virtual environment and generated projects
	rm -rf $(VENV) $(DEMO_DIR) .pytest_cache
