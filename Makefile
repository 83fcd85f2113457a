# The two commands a newcomer needs:
#   make demo   set up, build, and run the whole pipeline on generated sample data
#   make test   set up, build, and run every test
#
# OpenBLAS's thread pool can stall on a busy 2-core machine, so tests and the demo use one
# BLAS thread unless OPENBLAS_NUM_THREADS is already set. OPENBLAS_CORETYPE is left alone.

SWIFT ?= swift
export OPENBLAS_NUM_THREADS ?= 1

.PHONY: demo test build release bench bootstrap clean

bootstrap:
	@scripts/bootstrap

build: bootstrap
	$(SWIFT) build --product mosaic

demo: build
	$(SWIFT) run --skip-build mosaic demo

test: bootstrap
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

release: bootstrap
	$(SWIFT) build -c release --product mosaic

# Benchmarks: release builds, each beside its reference; never part of `make test`.
bench: release
	@scripts/bootstrap --bench
	$(SWIFT) build -c release --product IngestBenchmark
	$(SWIFT) build -c release --product PullBenchmark
	$(SWIFT) build -c release --product ModelLoadBenchmark
	$(SWIFT) build -c release --product RegressionBenchmark
	$(SWIFT) build -c release --product ForecastBenchmark
	$(SWIFT) build -c release --product RoutingBenchmark
	$(SWIFT) build -c release --product SimBenchmark
	$(SWIFT) build -c release --product ReplayBenchmark
	$(SWIFT) build -c release --product ServeBenchmark
	.build/release/IngestBenchmark --rows 5000000
	.build/release/PullBenchmark --rows 1000000
	.build/release/ModelLoadBenchmark
	OPENBLAS_NUM_THREADS=1 .build/release/RegressionBenchmark
	OPENBLAS_NUM_THREADS=1 .build/release/ForecastBenchmark
	OPENBLAS_NUM_THREADS=1 .build/release/RoutingBenchmark
	.build/release/SimBenchmark --customers 10000000 --simpy-customers 1000000
	.build/release/ReplayBenchmark
	@test -f models/router-demo.json || .build/release/mosaic demo > /dev/null
	.build/release/ServeBenchmark --seconds 20

clean:
	rm -rf .build .bench datasets/sample mosaic.sqlite mosaic.sqlite-wal mosaic.sqlite-shm
