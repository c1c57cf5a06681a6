# The two commands: `make run` and `make test`. The real build is CMake (CMakeLists.txt).
JOBS ?= 2
BUILD ?= build
FUZZ_SECONDS ?= 20
CMAKE_FLAGS ?=
# The fuzz build doubles as the proof that the core builds with only C11, OpenMP, OpenBLAS
# and zlib: every optional part is switched off there.
CORE_ONLY = -DCRM_WITH_SVM=OFF -DCRM_WITH_SERVER=OFF -DCRM_WITH_SQLITE=OFF -DCRM_WITH_PQ=OFF \
            -DCRM_WITH_MPI=OFF

.PHONY: all run test deps web build build-asan build-fuzz test-release test-asan test-fuzz \
        build-core-mpi install bench check clean

all: build

deps:
	@bash scripts/deps.sh

# The dashboard (web/): rebuilt with npm where it exists, else the committed web/dist is used.
web:
	@if command -v npm >/dev/null 2>&1; then \
	  { [ -d web/node_modules ] || (cd web && npm ci --no-audit --no-fund --loglevel=error); } && \
	  (cd web && npm run --silent build >/dev/null) || \
	  { echo "web: the npm build failed; using the committed build in web/dist" >&2; git checkout -- web/dist 2>/dev/null || true; }; \
	else echo "web: npm not found; using the committed build in web/dist" >&2; fi

build: deps web
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) -j$(JOBS)

# The demo's last lines say how to serve its models and customer store and where the
# dashboard is (tests/server/test_demo_serve.sh runs that command as printed).
run: build
	./$(BUILD)/crmkit demo

# Every test: the release build, the same unit and CLI tests under ASan+UBSan, then each
# parser fuzzed with libFuzzer for FUZZ_SECONDS.
test: test-release test-asan test-fuzz

test-release: build
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS)

build-asan: deps
	@cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_FLAGS_DEBUG="-O1 -g" \
	    -DCRM_SANITIZE=ON -DCRM_BUILD_BENCH=OFF $(CMAKE_FLAGS) >/dev/null
	@cmake --build build-asan -j$(JOBS)

test-asan: build-asan
	cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
	    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	    LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp \
	    ctest --output-on-failure -j$(JOBS) -L 'unit|cli'

build-fuzz: deps
	@cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug \
	    -DCMAKE_C_FLAGS_DEBUG="-O1 -g -fsanitize=fuzzer-no-link,address,undefined" \
	    -DCRM_FUZZ=ON -DCRM_BUILD_TESTS=OFF -DCRM_BUILD_BENCH=OFF $(CORE_ONLY) \
	    -DCRM_FUZZ_SECONDS=$(FUZZ_SECONDS) $(CMAKE_FLAGS) >/dev/null
	@cmake --build build-fuzz -j$(JOBS)

test-fuzz: build-fuzz
	cd build-fuzz && ctest --output-on-failure -j$(JOBS) -L 'fuzz|core'

# The core + OpenMPI build of a bare machine (compiler, OpenBLAS, zlib, libdeflate, OpenMPI):
# every other optional part off, Jansson and protobuf-c included.
build-core-mpi:
	@cmake -S . -B build-core-mpi -DCMAKE_BUILD_TYPE=Release -DCRM_BUILD_TESTS=OFF \
	    -DCRM_BUILD_BENCH=OFF $(CORE_ONLY) -DCRM_WITH_MPI=ON -DCRM_WITH_JANSSON=OFF \
	    -DCRM_WITH_PROTOBUFC=OFF $(CMAKE_FLAGS) >/dev/null
	@cmake --build build-core-mpi -j$(JOBS) --target crmkit
	@grep -q "define CRM_HAVE_JANSSON 0" build-core-mpi/include/crmkit/config.h
	@grep -q "define CRM_HAVE_MPI 1" build-core-mpi/include/crmkit/config.h
	@echo "build-core-mpi: the core + MPI build is fine"

install: build
	cmake --install $(BUILD)

bench: build
	@bash scripts/deps.sh --bench
	@bash bench/run_all.sh

check:
	@bash scripts/deps.sh --check
	@bash scripts/check.sh

clean:
	rm -rf $(BUILD) build-asan build-fuzz build-core-mpi
