# ecs-delegate: the two commands a newcomer needs are `make demo` and `make test`.
SHELL := /bin/bash
# The project's Python tools live in .venv (scripts/install-deps.sh): its python3 comes first for every target.
export PATH := $(CURDIR)/.venv/bin:/opt/swift/usr/bin:$(PATH)
PREFIX ?= /usr/local

.PHONY: deb deps build release test test-swift test-python test-systemd demo bench bench-long soak clean install install-files cli-docs fuzz

deps:
	bash scripts/install-deps.sh

build:
	swift build

release:
	swift build -c release

## Runs every test: the Swift suites (unit and integration with real processes) and the simulator's pytest suite.
test: deps test-swift test-python test-systemd

test-swift:
	swift build --build-tests
	swift test --skip-build
	# The manager's behaviour tests again, on PostgreSQL (a server started by the tests; docs/operations.md).
	ECS_MANAGER_TEST_STORAGE=postgres swift test --skip-build --filter ManagerTests

test-python:
	python3 -m pytest -q tests/protocol tests/observability $(wildcard tools/awssim/tests)

test-systemd:
	bash scripts/check-systemd.sh

## Installs the binary, the unit, the sysusers file and (unless one exists) the example config.
## .deb packages of ecs-delegate and ecs-manager in dist/ (release binaries with the Swift runtime linked in; checked with ldd and lintian).
deb: cli-docs
	bash scripts/make-deb.sh

install: release
	$(MAKE) install-files BINDIR_SRC="$$(swift build -c release --show-bin-path)"
	@if command -v systemd-sysusers >/dev/null && [ -z "$(DESTDIR)" ]; then systemd-sysusers; systemd-tmpfiles --create ecs-delegate.conf; systemctl daemon-reload || true; fi

BINDIR_SRC ?= .build/release
CLI_DOCS ?= .build/cli-docs
## Man pages (from the commands' own help, by swift-argument-parser's generate-manual) and bash, zsh and fish completions.
cli-docs:
	swift build --product generate-manual
	rm -rf $(CLI_DOCS) && mkdir -p $(CLI_DOCS)/man $(CLI_DOCS)/completions
	for tool in ecs-delegate ecs-manager; do \
		"$$(swift build --show-bin-path)/generate-manual" $(BINDIR_SRC)/$$tool --multi-page --output-directory $(CLI_DOCS)/man || exit 1; \
		$(BINDIR_SRC)/$$tool --generate-completion-script bash > $(CLI_DOCS)/completions/$$tool.bash || exit 1; \
		$(BINDIR_SRC)/$$tool --generate-completion-script zsh > $(CLI_DOCS)/completions/_$$tool || exit 1; \
		$(BINDIR_SRC)/$$tool --generate-completion-script fish > $(CLI_DOCS)/completions/$$tool.fish || exit 1; \
	done

install-files: cli-docs
	install -D -m 0755 --strip $(BINDIR_SRC)/ecs-delegate $(DESTDIR)$(PREFIX)/bin/ecs-delegate
	install -D -m 0755 --strip $(BINDIR_SRC)/ecs-manager $(DESTDIR)$(PREFIX)/bin/ecs-manager
	install -d $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 0644 $(CLI_DOCS)/man/*.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	for tool in ecs-delegate ecs-manager; do \
		install -D -m 0644 $(CLI_DOCS)/completions/$$tool.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/$$tool; \
		install -D -m 0644 $(CLI_DOCS)/completions/_$$tool $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_$$tool; \
		install -D -m 0644 $(CLI_DOCS)/completions/$$tool.fish $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/$$tool.fish; \
	done
	for tool in ecs-delegate ecs-manager; do \
		sed "s|/usr/local/bin/$$tool|$(PREFIX)/bin/$$tool|" systemd/$$tool.service > $(DESTDIR).$$tool.service.tmp; \
		install -D -m 0644 $(DESTDIR).$$tool.service.tmp $(DESTDIR)/etc/systemd/system/$$tool.service; \
		rm -f $(DESTDIR).$$tool.service.tmp; \
	done
	install -D -m 0644 systemd/ecs-delegate.sysusers.conf $(DESTDIR)/usr/lib/sysusers.d/ecs-delegate.conf
	install -D -m 0644 systemd/ecs-delegate.tmpfiles.conf $(DESTDIR)/usr/lib/tmpfiles.d/ecs-delegate.conf
	@if [ -e $(DESTDIR)/etc/ecs-delegate/delegate.yaml ]; then \
		echo "keeping existing $(DESTDIR)/etc/ecs-delegate/delegate.yaml"; \
	else \
		install -D -m 0640 Config/delegate.yaml $(DESTDIR)/etc/ecs-delegate/delegate.yaml; \
	fi

## Installs what is needed, builds, and runs the demo on this machine.
demo: deps
	bash scripts/demo.sh

## Items 1 and 3-6 of docs/benchmarks.md, 1,000 executions on two replicas and a shortened soak (about 30 minutes after the release build); JSON of each in .build/bench/.
bench: release
	mkdir -p .build/bench
	python3 Benchmarks/runtime_bench.py | tee .build/bench/runtime.json
	python3 Benchmarks/dispatch_profile.py | tee .build/bench/dispatch_profile.json
	python3 Benchmarks/fleet_bench.py --json .build/bench/fleet.json
	python3 Benchmarks/ecs_deploy_bench.py --runs 5 --json .build/bench/deploy.json
	bash Benchmarks/sigv4-bench
	python3 Benchmarks/replica_bench.py --json .build/bench/replica.json
	python3 Benchmarks/executions_bench.py --json .build/bench/executions.json
	python3 Benchmarks/soak_bench.py --echo 20000 --interval 2000 --rolling 1000 --rolling-interval 100 --rolling-warmup 600 --bluegreen 200 --bluegreen-interval 20 --bluegreen-warmup 100 --json .build/bench/soak.json

## Item 2: a 10-minute rollout in real time, ours beside the AWS CLI waiter (about 12 minutes).
bench-long: release
	mkdir -p .build/bench
	python3 Benchmarks/waiting_bench.py --json .build/bench/waiting.json

## Issue 29: both daemons' memory every 10,000 tasks over 100,000 echo tasks, 10,000 rolling deploys and rollbacks and
## 2,000 blue/green creates and swaps, and its slope after warm-up (hours at full size; flags in Benchmarks/soak_bench.py).
soak: release
	mkdir -p .build/bench
	python3 Benchmarks/soak_bench.py --json .build/bench/soak.json

## Builds the libFuzzer targets in .build-fuzz and runs each for FUZZ_SECONDS (docs/fuzzing.md); fails on any finding.
FUZZ_SECONDS ?= 60
fuzz:
	FUZZ_SECONDS=$(FUZZ_SECONDS) bash scripts/fuzz.sh

clean:
	rm -rf .build
