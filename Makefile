# Thin wrapper around CMake. `make` builds into build/, `make run` runs the
# main job, `make check` builds and runs every test through CTest.
BUILD ?= build
CMAKE_FLAGS ?=
JOBS ?= $(shell nproc)

.PHONY: all build deps run check check-asan check-tsan fuzz fuzz-run bench clean

all: build

deps:
	@scripts/install-deps.sh --if-missing

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS)

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

run: build
	$(BUILD)/tools/svajob

check: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# Sanitizer passes, each in its own build tree (.ci/run uses these).
check-asan: deps
	cmake -S . -B build-asan -DSVA_SANITIZE=address,undefined -DCMAKE_BUILD_TYPE=Debug \
		-DSVA_BUILD_BENCH=OFF $(CMAKE_FLAGS)
	cmake --build build-asan -j $(JOBS)
	cd build-asan && ctest --output-on-failure -j $(JOBS) -LE nosan

check-tsan: deps
	cmake -S . -B build-tsan -DSVA_SANITIZE=thread -DCMAKE_BUILD_TYPE=Debug \
		-DSVA_BUILD_BENCH=OFF $(CMAKE_FLAGS)
	cmake --build build-tsan -j $(JOBS)
	cd build-tsan && ctest --output-on-failure -j $(JOBS) -L 'unit|stress|api'

# libFuzzer binaries (clang): build-fuzz/tests/fuzz_<name>
fuzz: deps
	CC=clang cmake -S . -B build-fuzz -DSVA_BUILD_FUZZ=ON -DSVA_BUILD_BENCH=OFF \
		-DSVA_SANITIZE=address,undefined $(CMAKE_FLAGS)
	cmake --build build-fuzz -j $(JOBS)

# Run every fuzzer for FUZZ_SECONDS on a scratch copy of its seed corpus.
FUZZ_SECONDS ?= 60
fuzz-run: fuzz
	scripts/fuzz-run.sh build-fuzz $(FUZZ_SECONDS)

bench: build
	bench/run_all.sh $(BUILD)

clean:
	rm -rf $(BUILD) build-asan build-tsan build-fuzz
