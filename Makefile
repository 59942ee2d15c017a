# doorstep: the two commands.
#   make demo   install what is missing, build, run the demo city
#   make check  install what is missing, build (gcc, and clang with ASan+UBSan),
#               check style, run every test
BUILD      ?= build
SAN_BUILD  ?= build-san
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: all deps build build-san demo check test test-san style format fuzz-smoke bench valgrind soak clean

all: build

deps:
	@sh scripts/install-deps.sh

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=gcc >/dev/null
	@cmake --build $(BUILD) -j$(JOBS)

build-san: deps
	@cmake -S . -B $(SAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang -DDS_SANITIZE=ON >/dev/null
	@cmake --build $(SAN_BUILD) -j$(JOBS)

# The demo city, then the web UI built (npm) and the server on it: the
# URL and the logins are printed; Ctrl-C stops it.
demo: build
	./$(BUILD)/doorstep demo
	@sh scripts/build-web.sh >/dev/null 2>&1 || \
		echo "demo: the web UI was not built (scripts/build-web.sh needs npm); the API answers"
	@echo "demo: serving the demo city at http://127.0.0.1:8080/ (Ctrl-C stops it)"
	@echo "demo: logins demo-manager / demo-manager-pass, demo-collector / demo-collector-pass"
	./$(BUILD)/doorstep --db doorstep-demo/doorstep.db serve --listen 127.0.0.1:8080 \
		--static web/dist

style: deps
	@sh scripts/check-style.sh

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

test: build
	ctest --test-dir $(BUILD) -LE bench --output-on-failure -j$(JOBS)

test-san: build-san
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0 \
	UBSAN_OPTIONS=print_stacktrace=1 \
	ctest --test-dir $(SAN_BUILD) -L 'unit|cli' --output-on-failure -j$(JOBS)

# A few seconds of every fuzz target on its seed corpus (bench/fuzz runs longer).
fuzz-smoke: deps
	@sh scripts/fuzz-smoke.sh build-fuzz 5

check: style build build-san fuzz-smoke
	@sh scripts/run-tests.sh $(BUILD) $(SAN_BUILD) $(JOBS)

bench: build
	sh bench/import/run.sh $(BUILD)/doorstep

# memcheck over a few unit tests and CLI commands (scripts/valgrind.sh):
# about 12 minutes, so not in check
valgrind: build
	sh scripts/valgrind.sh $(BUILD)

# ten minutes of the API under load with the nightly batch (bench/soak)
soak: build
	DOORSTEP=$(BUILD)/doorstep sh bench/soak/run.sh

clean:
	rm -rf $(BUILD) $(SAN_BUILD) build-fuzz
