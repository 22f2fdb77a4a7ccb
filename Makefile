# Bulwark: a thin Makefile over Meson + Ninja.
#   make run    install what is missing, build, seed a demo database, serve
#   make test   every test tier, ending with "N passed, N failed"
#   make fuzz   the fuzz drivers for longer
PORT ?= 8080
DB ?= var/bulwark.db
BUILD = build/release
TBUILD = build/test

.PHONY: all deps build run test fuzz bench clean

all: build

deps:
	@bash deps/install

$(BUILD)/build.ninja:
	meson setup $(BUILD) --buildtype=release -Dtest_build=false >/dev/null

$(TBUILD)/build.ninja:
	meson setup $(TBUILD) --buildtype=debug -Db_sanitize=address,undefined -Db_lundef=false -Dtest_build=true >/dev/null

build: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)

run: build
	@mkdir -p var
	@if [ ! -f $(DB) ]; then $(BUILD)/bulwark demo --db $(DB) --scale small; fi
	$(BUILD)/bulwark serve --db $(DB) --port $(PORT)

test: deps $(TBUILD)/build.ninja
	ninja -C $(TBUILD)
	@bash tests/run

fuzz: deps
	@FUZZ_SECONDS=$${FUZZ_SECONDS:-300} bash tests/fuzz/run

clean:
	rm -rf build
