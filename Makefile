# cogmap's two commands (README): `make demo` and `make test`. Both install the
# missing Debian packages first (scripts/install-deps.sh).
BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc)
DEMO_OUT   ?= demo-out

.PHONY: all deps build demo test test-release test-asan check-torch bench clean

all: build

deps:
	@scripts/install-deps.sh

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release
	cmake --build $(BUILD) -j$(JOBS)

demo: build
	./$(BUILD)/cogmap demo --out $(DEMO_OUT)

# Every test twice: the optimised build, then under ASan + UBSan.
test: test-release test-asan

test-release: build
	ctest --test-dir $(BUILD) --output-on-failure -j$(JOBS)

test-asan: deps
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DCOGMAP_SANITIZE=ON -DCOGMAP_NATIVE=OFF
	cmake --build $(ASAN_BUILD) -j$(JOBS)
	ctest --test-dir $(ASAN_BUILD) --output-on-failure -j$(JOBS)

# Every layer's forward and backward against PyTorch (needs python3-torch).
check-torch: build
	@scripts/install-deps.sh --torch
	bench/check-torch.sh $(BUILD)

# Benchmarks against the Python peers; figures go to BENCHMARKS.md by hand.
bench: build
	@scripts/install-deps.sh --torch
	bench/run-all.sh $(BUILD)/cogmap

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
