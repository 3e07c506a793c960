# Thin wrapper over CMake. `make run` and `make test` do all the set-up on a fresh Debian machine.
BUILD ?= build
JOBS  ?= $(shell nproc)
PLUMA := $(BUILD)/pluma

.PHONY: all deps build run test bench clean

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

bench-word2vec: build
	@tools/bench/run-word2vec-bench $(BUILD) --corpus shakespeare-complete quijote

clean:
	rm -rf $(BUILD)
