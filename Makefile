# Two commands matter: `make run` and `make test`. Both create .venv on first use.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
EXTRAS := test,wearables,viz,batch,web
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: run test install bench clean

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "need $(PYTHON) on PATH (or make PYTHON=python3)"; exit 2; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[$(EXTRAS)]"
	rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/glutesense demo

test: $(STAMP)
	$(BIN)/python -m pytest -q -p no:cacheprovider

# Benchmarks (docs/benchmarks.md). The peers NeuroKit2 and HeartPy are benchmark-only and never
# imported by glutesense; neurokit2 0.2.13 declares pandas<3 but runs on pandas 3, so it is
# installed without its pins (its other dependencies are listed here).
bench: $(STAMP)
	$(BIN)/python -c "import neurokit2, heartpy" 2>/dev/null || \
	  ($(BIN)/python -m pip install --quiet pywavelets scikit-learn requests && \
	   $(BIN)/python -m pip install --quiet --no-deps neurokit2 heartpy)
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) build dist
