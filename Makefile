# ringside front door.
#   make            release build -> build/release/ringside
#   make run        the main job: venue simulator + engine + recorder, summary, replay verify
#   make test       install missing deps, build release+asan+tsan(+fuzz), ctest each
#   make bench      every benchmark, JSON in build/bench/
# Builds are incremental: a second `make test` rebuilds and reinstalls nothing.
SHELL := /bin/bash
JOBS ?= $(shell nproc)
GEN := -G Ninja
# Twice the cores: most integration tests wait on wall-clock sessions (simulator + engine with back-off idle
# threads), so two per core keep the CPUs busy; stress tests count as two (PROCESSORS 2).
CTEST_ARGS ?= --output-on-failure -j$(shell echo $$(( $(JOBS) * 2 )))

.PHONY: all release debug asan tsan fuzz deps run test test-release test-asan test-tsan test-fuzz bench clean

all: release

deps:
	@bash tools/install-deps.sh

build/%/build.ninja:
	@mkdir -p build/$*
	cmake -S . -B build/$* $(GEN) -DCMAKE_BUILD_TYPE=$* $(if $(filter fuzz,$*),-DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++) >/dev/null

release debug asan tsan: %: build/%/build.ninja
	@cmake --build build/$* -j $(JOBS)

# the fuzz build exists for the libFuzzer targets only
fuzz: build/fuzz/build.ninja
	@cmake --build build/fuzz -j $(JOBS) --target fuzzers

run: deps release
	@bash tools/run-demo.sh

test: deps
	@$(MAKE) --no-print-directory test-release test-asan test-tsan test-fuzz

test-release: release
	@bash tools/ctest-run.sh build/release $(CTEST_ARGS) -LE 'fuzz'
test-asan: asan
	@bash tools/ctest-run.sh build/asan $(CTEST_ARGS) -LE 'fuzz|noasan'
test-tsan: tsan
	@bash tools/ctest-run.sh build/tsan $(CTEST_ARGS) -LE 'fuzz|notsan'
test-fuzz: fuzz
	@bash tools/ctest-run.sh build/fuzz $(CTEST_ARGS) -L fuzz

bench: deps release
	@mkdir -p build/bench
	@for b in ring journal decode feed features model exec e2e gate; do \
	  echo "== ringside bench $$b"; \
	  ./build/release/ringside bench $$b --json > build/bench/$$b.json.tmp; rc=$$?; \
	  if [ $$rc -eq 2 ]; then echo "   (not built yet)"; rm -f build/bench/$$b.json.tmp; \
	  elif [ $$rc -ne 0 ]; then echo "   FAILED ($$rc)"; exit 1; \
	  else mv build/bench/$$b.json.tmp build/bench/$$b.json; cat build/bench/$$b.json; fi; \
	done

clean:
	rm -rf build
