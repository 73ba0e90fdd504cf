# Saphan: `make run` runs the whole system locally; `make test` runs every test.
SHELL := /bin/bash
PY := .venv/bin/python

.PHONY: run test lint setup model lock bench-nlu bench-directory clean demo

setup: ## create/refresh both virtual environments (seconds when nothing changed)
	@scripts/ensure_env.sh app
	@scripts/ensure_env.sh rasa

run: setup ## migrate, load data, train if inputs changed, start rasa + actions + gateway
	@.venv/bin/saphan run

test: setup ## ruff + every test (SQLite always; PostgreSQL too when TEST_DATABASE_URL is set)
	@.venv/bin/ruff check .
	@$(PY) -m pytest

demo: setup ## demo accounts in three example agencies of Tak (never in production; passwords printed once) -> docs/walkthrough.md
	@.venv/bin/saphan db upgrade
	@.venv/bin/saphan demo seed

lint:
	@.venv/bin/ruff check .

model: setup ## train the Rasa model if its inputs changed
	@.venv/bin/saphan model train

lock: ## re-resolve requirements/*.in into the pinned requirements/*.lock files
	@scripts/lock.sh

.PHONY: deploy-check
deploy-check: ## offline checks of deploy/: alert rules vs /metrics, Kubernetes manifests (schema-validated with kubernetes-validate)
	@$(PY) -m pytest -q tests/foundation/test_deploy_manifests.py

bench-gateway: ## webhook acknowledgement latency of a real gateway process (target p95 <= 50 ms)
	@PYTHONPATH=. $(PY) scripts/bench_gateway.py

.PHONY: bench-perf
bench-perf: ## per-message cost: bare Rasa vs full path at 1/4/8/16 users, CPU ms/msg per process (RUNS=3) -> see benchmarks/performance.md
	@PYTHONPATH=. $(PY) benchmarks/performance.py --runs $(or $(RUNS),3) $(if $(PROFILE),--profile-dir $(PROFILE))

.PHONY: bench-growth
bench-growth: ## cost as work grows: queue at 10k open cases (SQLite+PG), turn 1 vs 200, a long screening, RSS after MINUTES of load (60) -> benchmarks/growth.md
	@PYTHONPATH=. $(PY) benchmarks/growth.py queue
	@PYTHONPATH=. $(PY) benchmarks/growth.py turns
	@PYTHONPATH=. $(PY) benchmarks/growth.py screening
	@PYTHONPATH=. $(PY) benchmarks/growth.py memory --minutes $(or $(MINUTES),60)

clean:
	rm -rf var models .pytest_cache .ruff_cache

bench-nlu: setup ## NLU benchmark vs Rasa's default pipeline -> benchmarks/nlu.md (SKIP_BASELINE=1: reuse saved baseline)
	@PYTHONPATH=bot:. .venv-rasa/bin/python scripts/bench_nlu.py $(if $(SKIP_BASELINE),--skip-baseline)

.PHONY: tune-nlu
tune-nlu: setup ## NLU thresholds (emergency, fallback) by cross-validation on the training data -> benchmarks/nlu_tuning.md
	@PYTHONPATH=bot:. .venv-rasa/bin/python scripts/tune_nlu.py $(if $(FOLDS),--folds $(FOLDS))

bench-directory: ## directory: import rate and nearest-10 p50/p95 on SQLite and PostgreSQL (100k rows)
	@$(PY) scripts/bench_directory.py

.PHONY: bench-screening
bench-screening: ## screening: adaptive questions asked vs the full list -> benchmarks/screening.md
	@$(PY) scripts/bench_screening.py

.PHONY: bench-load reliability reliability-short
bench-load: ## load: simulated LINE users vs the full stack, stepped to the knee -> benchmarks/reliability.md
	@PYTHONPATH=. $(PY) -m reliability.load

reliability: ## fuzz + security tests, then every fault under load (database fault on PostgreSQL) -> benchmarks/reliability.md
	@PYTHONPATH=. $(PY) -m reliability.suites
	@PYTHONPATH=. $(PY) -m reliability.faults --down 4 --drain 90 --check

reliability-short: ## CI: 20 s load step + each process killed and restarted by the supervisor, the database cut 2 s; exit 1 on a lost event or a duplicate (< 5 min, nothing written)
	@PYTHONPATH=. timeout 290 $(PY) -m reliability.faults --load-seconds 20 --users 3 --before 3 --down 2 --drain 60 --supervised --check --no-write

.PHONY: reliability-replicas
reliability-replicas: ## 2 gateways + 2 Rasa + 1 action server on PostgreSQL + Redis behind loopback balancers, one gateway and one Rasa killed under load; exit 1 on a lost event or a duplicate -> benchmarks/reliability.md (~5-10 min; needs TEST_DATABASE_URL or local PostgreSQL, redis-server)
	@PYTHONPATH=. timeout 1200 $(PY) -m reliability.replicas --users 4 --before 15 --check

.PHONY: compose-test
compose-test: ## build docker-compose.yml's images with podman (local Debian/Python stand-ins for the public bases, cached), run the topology in production mode, a signed LINE webhook answered at the fake LINE server; tear down
	@scripts/compose_test.sh
