# Two commands on a fresh machine: `make run` and `make test`.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
N ?= 3000

.PHONY: run test setup bench meeting fanout messages clean

$(BIN)/python:
	$(PY) -m venv $(VENV)

$(VENV)/.installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --disable-pip-version-check -q -r requirements-dev.txt
	touch $@

setup: $(VENV)/.installed
	$(BIN)/python manage.py migrate --noinput -v 0
	$(BIN)/python manage.py seed_demo

run: setup
	$(BIN)/python manage.py hall_urls --host $(HOST) --port $(PORT)
	$(BIN)/daphne -b $(HOST) -p $(PORT) config.asgi:application

test: $(VENV)/.installed
	$(BIN)/python -m pytest -q

# One hall-wide event to N paired tablets (bench/fanout.py; bench/README.md): make fanout N=3000
fanout: $(VENV)/.installed
	$(BIN)/python -m bench.fanout --clients $(N)

# The hall-scale meeting benchmark (bench/meeting.py; docs/performance.md): make bench N=3000
bench: meeting

meeting: $(VENV)/.installed
	$(BIN)/python -m bench.meeting --tablets $(N)

messages: $(VENV)/.installed
	# needs gettext; the compiled .mo files are committed so run/test do not
	$(BIN)/python manage.py makemessages -l zh_Hans -l en --ignore=.venv --ignore=tests
	$(BIN)/python manage.py makemessages -d djangojs -l zh_Hans -l en --ignore=.venv
	$(BIN)/python manage.py compilemessages --ignore=.venv

clean:
	rm -rf $(VENV) var
