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
	@if [ ! -f $(DB) ]; then \
	  umask 077; [ -f var/demo-password ] || echo "demo-$$(head -c 12 /dev/urandom | base64 | tr -d '/+=')" > var/demo-password; \
	  $(BUILD)/bulwark demo --db $(DB) --scale small --password-file var/demo-password >/dev/null || exit 1; fi
	@echo
	@echo "Bulwark: http://127.0.0.1:$(PORT)/"
	@echo "  sign in as org_lead@ral.demo.bulwark.example (an NHS trust's lead)"
	@echo "        or admin@national.demo.bulwark.example (sets up two-factor authentication first)"
	@echo "  password: $$(cat var/demo-password 2>/dev/null || echo '(see var/demo-password)')"
	@echo "  every demo account: README.md, 'Demo sign-in'"
	@echo
	$(BUILD)/bulwark serve --db $(DB) --port $(PORT)

test: deps $(TBUILD)/build.ninja
	ninja -C $(TBUILD)
	@bash tests/run

fuzz: deps
	@FUZZ_SECONDS=$${FUZZ_SECONDS:-300} bash tests/fuzz/run

clean:
	rm -rf build
