# ecs-delegate: the two commands a newcomer needs are `make demo` and `make test`.
SHELL := /bin/bash
export PATH := /opt/swift/usr/bin:$(PATH)
PREFIX ?= /usr/local

.PHONY: deps build release test test-swift test-python demo bench clean

deps:
	bash scripts/install-deps.sh

build:
	swift build

release:
	swift build -c release

## Runs every test: the Swift suites (unit and integration with real processes) and the simulator's pytest suite.
test: test-swift test-python

test-swift:
	swift build --build-tests
	swift test --skip-build

test-python:
	python3 -m pytest -q tests/protocol $(wildcard tools/awssim/tests)

## Installs what is needed, builds, and runs the demo on this machine.
demo: deps
	bash scripts/demo.sh

bench: release
	python3 Benchmarks/runtime_bench.py

clean:
	rm -rf .build
