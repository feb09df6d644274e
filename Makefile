# cogmap's two commands (README): `make demo` and `make test`. Both install the
# missing Debian packages first (scripts/install-deps.sh).
BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
JOBS       ?= $(shell nproc)
DEMO_OUT   ?= demo-out

.PHONY: all deps build demo test test-release test-asan test-fuzz fuzz fuzz-build check-torch bench clean

all: build

deps:
	@scripts/install-deps.sh

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release
	cmake --build $(BUILD) -j$(JOBS)

demo: build
	./$(BUILD)/cogmap demo --out $(DEMO_OUT)

# Every test twice: the optimised build, then under ASan + UBSan; then every
# fuzz target a few seconds from its corpus.
test: test-release test-asan test-fuzz

test-release: build
	ctest --test-dir $(BUILD) --output-on-failure -j$(JOBS)

test-asan: deps
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DCOGMAP_SANITIZE=ON -DCOGMAP_NATIVE=OFF
	cmake --build $(ASAN_BUILD) -j$(JOBS)
	ctest --test-dir $(ASAN_BUILD) --output-on-failure -j$(JOBS)

# libFuzzer harnesses of every reader and parser (tests/fuzz, docs/reliability.md),
# built by clang in $(FUZZ_BUILD)/ with ASan + UBSan. `make fuzz` runs each
# FUZZ_SECONDS (one at a time unless FUZZ_JOBS says more); `make test` runs
# each FUZZ_CI_SECONDS, as many at once as cores, and skips (saying so) where
# clang's fuzzer runtime is missing.
FUZZ_SECONDS    ?= 60
FUZZ_CI_SECONDS ?= 5
FUZZ_JOBS       ?= 1

fuzz-build: deps
	@cc=$$(tests/fuzz/have-fuzzer.sh) || { echo "make fuzz: clang's libFuzzer runtime is missing (scripts/install-deps.sh installs clang-14 libclang-rt-14-dev libomp-14-dev)"; exit 1; }; \
	cmake -S . -B $(FUZZ_BUILD) -DCMAKE_C_COMPILER=$$cc -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCOGMAP_FUZZ=ON \
	      -DCOGMAP_TESTS=OFF -DCOGMAP_NATIVE=OFF > /dev/null
	cmake --build $(FUZZ_BUILD) -j$(JOBS)

fuzz: fuzz-build
	FUZZ_JOBS=$(FUZZ_JOBS) tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

test-fuzz: deps
	@if tests/fuzz/have-fuzzer.sh > /dev/null; then \
	  $(MAKE) --no-print-directory fuzz-build && FUZZ_JOBS=$(JOBS) FUZZ_SEED=1 tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_CI_SECONDS); \
	else \
	  echo "make test: SKIPPING the fuzz step: clang's libFuzzer runtime is missing (install clang-14 libclang-rt-14-dev libomp-14-dev)"; \
	fi

# Every layer's forward and backward against PyTorch (needs python3-torch).
check-torch: build
	@scripts/install-deps.sh --torch
	bench/check-torch.sh $(BUILD)

# Benchmarks against the Python peers; figures go to BENCHMARKS.md by hand.
bench: build
	@scripts/install-deps.sh --torch
	bench/run-all.sh $(BUILD)/cogmap

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
