# Thin wrapper over CMake. `make run` and `make test` do all the set-up on a fresh Debian machine.
BUILD ?= build
JOBS  ?= $(shell nproc)
PLUMA := $(BUILD)/pluma

.PHONY: all deps build run test bench bench-curve bench-word2vec clean check-fresh fuzz test-sanitize

all: build

deps:
	@tools/install-deps

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

# The main job: tokenizer, data, a baby GPT trained under a time budget, samples and a probability table.
run: build
	@tools/run-main $(PLUMA)

test: build
	cd $(BUILD) && ctest --output-on-failure -j 1

bench: build
	@tools/bench/run-bench $(BUILD)

# Only the curve of make bench (training cost against width and context, generation against context).
bench-curve: build
	@PLUMA_BENCH=curve tools/bench/run-bench $(BUILD)

# The README's commands on a Debian 12 root that has never seen the repo (mmdebstrap + chroot; needs root).
check-fresh:
	@tools/check-fresh

# Every reader of outside bytes under libFuzzer for FUZZ_SECONDS each (clang; build-fuzz/).
FUZZ_SECONDS ?= 60
fuzz:
	@FUZZ_SECONDS=$(FUZZ_SECONDS) tools/fuzz

# The whole test suite under AddressSanitizer + UndefinedBehaviorSanitizer (CPU build; build-sanitize/).
test-sanitize:
	@tools/test-sanitize

# word2vec against gensim (python3-gensim), same corpus and threads, in one run.
bench-word2vec: build
	@tools/bench/run-word2vec-bench $(BUILD) --corpus shakespeare-complete quijote

clean:
	rm -rf $(BUILD) build-fuzz build-sanitize
