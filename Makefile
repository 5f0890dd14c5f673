# swarmdeck - build, test, demo and bench.
#   make          build ./swarmdeck
#   make check    the quick tier: unit tests and headless drills on a fake engine, no root, no lab
#   make test     install what is missing, then the quick tier, unit (plain and ASan/UBSan), lab
#                 and TUI tests
#   make demo     install what is missing, bring the lab up, open the console on it
#   make bench    print the performance figures
#   make fuzz     run each libFuzzer harness of tests/fuzz for FUZZ_TIME seconds (default 300)
#   make fuzz-check  each harness over its corpus plus 30 s of new inputs (part of make test)

PKGS      := ncursesw libcurl jansson libpq hiredis yaml-0.1 libcrypto
CC        ?= cc
BUILD     ?= build
OPT       ?= -O2 -g
WARN      := -Wall -Wextra -Wshadow -Wformat=2 -Wmissing-prototypes -Wstrict-prototypes \
             -Wwrite-strings -Wundef
CFLAGS    ?= $(OPT)
VERSION   := 0.1.0
JOBS      ?= $(shell nproc 2>/dev/null || echo 2)
CFLAGS    += $(WARN) $(EXTRA_CFLAGS) -DSD_VERSION=\"$(VERSION)\" -std=gnu11 -D_GNU_SOURCE -pthread -Icore -I$(BUILD)
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
LDFLAGS   += -pthread $(EXTRA_LDFLAGS)

CORE_SRC  := $(sort $(shell find core -name '*.c'))
CORE_HDR  := $(sort $(shell find core -name '*.h'))
TUI_SRC   := $(sort $(wildcard tui/*.c))
UNIT_SRC  := $(sort $(wildcard tests/unit/test_*.c))
EMBEDDED  := $(sort $(wildcard themes/*.yaml keymaps/*.yaml))

CORE_OBJ  := $(CORE_SRC:%.c=$(BUILD)/%.o) $(BUILD)/embedded.o
TUI_OBJ   := $(TUI_SRC:%.c=$(BUILD)/%.o)
UNIT_BIN  := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
FAKE_OBJ  := $(BUILD)/tests/fake/fake_engine.o
BENCH_BIN := $(BUILD)/tests/bench

ifeq ($(BUILD),build)
PROGRAM   := swarmdeck
else
PROGRAM   := $(BUILD)/swarmdeck
endif

.PHONY: all clean test unit demo bench deps sanitize check-warnings check check-build fuzz fuzz-check fuzz-build
all: $(PROGRAM) $(UNIT_BIN)

$(BUILD)/libsdcore.a: $(CORE_OBJ)
	@mkdir -p $(@D)
	rm -f $@ && $(AR) rcs $@ $^

$(BUILD)/embedded.c: core/embed.sh $(EMBEDDED)
	@mkdir -p $(@D)
	sh core/embed.sh $(EMBEDDED) > $@.tmp && mv $@.tmp $@

$(BUILD)/%.o: %.c $(CORE_HDR) $(wildcard tui/*.h)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -c -o $@ $<

$(BUILD)/embedded.o: $(BUILD)/embedded.c
	$(CC) $(CFLAGS) -c -o $@ $<

$(PROGRAM): $(TUI_OBJ) $(BUILD)/libsdcore.a
	$(CC) $(LDFLAGS) -o $@ $(TUI_OBJ) $(BUILD)/libsdcore.a $(PKG_LIBS) -lm

$(FAKE_OBJ): tests/fake/fake_engine.c tests/fake/fake_engine.h

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libsdcore.a $(FAKE_OBJ)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -o $@ $< $(FAKE_OBJ) $(BUILD)/libsdcore.a $(PKG_LIBS) -lcmocka -lm $(LDFLAGS)

# unit tests of the console (test_tui_*.c) link its objects as well as the core
TUI_LIB_OBJ := $(filter-out $(BUILD)/tui/main.o,$(TUI_OBJ))
$(BUILD)/tests/test_tui_%: tests/unit/test_tui_%.c tests/unit/tui_keys.h $(TUI_LIB_OBJ) $(BUILD)/libsdcore.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -Itui -o $@ $< $(TUI_LIB_OBJ) $(BUILD)/libsdcore.a $(PKG_LIBS) -lcmocka -lm $(LDFLAGS)

BENCH_SRC := tests/bench/bench.c tests/bench/synth.c tests/fake/fake_engine.c
$(BENCH_BIN): $(BENCH_SRC) tests/bench/synth.h tests/fake/fake_engine.h $(filter-out $(BUILD)/tui/main.o,$(TUI_OBJ)) $(BUILD)/libsdcore.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -Itui -Itests/bench -o $@ $(BENCH_SRC) \
	  $(filter-out $(BUILD)/tui/main.o,$(TUI_OBJ)) $(BUILD)/libsdcore.a $(PKG_LIBS) -lm $(LDFLAGS)

# The quick tier's fake engine (tests/check/run): tests/fake's engine serving the captured lab
# responses, or the benchmark's synthetic swarm
CHECK_ENGINE := $(BUILD)/check/fake-engine
CHECK_SRC := tests/check/fake-engine.c tests/fake/fake_engine.c tests/bench/synth.c
$(CHECK_ENGINE): $(CHECK_SRC) tests/fake/fake_engine.h tests/bench/synth.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -o $@ $(CHECK_SRC) $(PKG_LIBS) $(LDFLAGS)

check-build: all $(CHECK_ENGINE)

# the quick tier builds on every core, so that from a clean tree it still takes under a minute
check:
	@$(MAKE) -s -j$(JOBS) check-build
	@SWARMDECK=$(PROGRAM) SD_CHECK_ENGINE=$(CHECK_ENGINE) SD_UNIT_DIR=$(BUILD)/tests sh tests/check/run

# ASan + UBSan build of everything, in its own folder
sanitize:
	$(MAKE) BUILD=build/asan OPT="-O1 -g -fno-omit-frame-pointer" \
	  EXTRA_CFLAGS="-fsanitize=address,undefined -fno-sanitize-recover=undefined" \
	  EXTRA_LDFLAGS="-fsanitize=address,undefined" all

deps:
	@sh tests/deps.sh

unit: all
	@sh tests/run unit

# everything is built first (warnings are errors), then one runner counts every tier: the
# quick tier, the ASan/UBSan unit tests, the lab and its integration tests, the fuzzers
test: deps
	@$(MAKE) -s check-build sanitize fuzz-build EXTRA_CFLAGS="$(EXTRA_CFLAGS) -Werror"
	@SWARMDECK=$(PROGRAM) SD_CHECK_ENGINE=$(CHECK_ENGINE) SD_UNIT_DIR=$(BUILD)/tests \
	  SD_FUZZ_BUILD=$(FUZZ_BUILD) SD_FUZZ_NAMES="$(FUZZ_NAMES)" sh tests/run all

demo: deps all
	@tests/lab/lab up
	@eval "$$(tests/lab/lab env)" && ./swarmdeck

bench: deps all $(BENCH_BIN)
	@sh tests/bench/run

# libFuzzer harnesses (clang), against the core only, with ASan and UBSan. The manifest
# harness joins once the backup module declares sd_backup_manifest_parse.
FUZZ_CC    ?= clang
FUZZ_BUILD := build/fuzz
FUZZ_SAN   := -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_NAMES := config keymap theme drill condition keys decode stream events sentinel objects prom \
              $(if $(shell grep -s sd_backup_manifest_parse core/backup/manifest.h),manifest)
FUZZ_BIN   := $(FUZZ_NAMES:%=$(FUZZ_BUILD)/fuzz_%)
FUZZ_LIB   := tests/fuzz/fuzz.c tests/fuzz/fake_engine.c tests/fuzz/swarm_json.c
FUZZ_TIME  ?= 300

fuzz-build:
	@$(MAKE) -s BUILD=$(FUZZ_BUILD) CC=$(FUZZ_CC) OPT="-O1 -g -fno-omit-frame-pointer" \
	  EXTRA_CFLAGS="$(FUZZ_SAN) -fsanitize=fuzzer-no-link" $(FUZZ_BUILD)/libsdcore.a
	@$(MAKE) -s $(FUZZ_BIN)

$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_LIB) $(wildcard tests/fuzz/*.h) $(FUZZ_BUILD)/libsdcore.a
	$(FUZZ_CC) -O1 -g -fno-omit-frame-pointer $(WARN) $(EXTRA_CFLAGS) -std=gnu11 -D_GNU_SOURCE \
	  -pthread -Icore -Itests/fuzz $(PKG_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $< \
	  $(FUZZ_LIB) $(FUZZ_BUILD)/libsdcore.a $(PKG_LIBS) -lm -pthread

fuzz: fuzz-build
	@FUZZ_TIME=$(FUZZ_TIME) sh tests/fuzz/run $(FUZZ_BUILD) $(FUZZ_NAMES)

fuzz-check: fuzz-build
	@FUZZ_TIME=30 sh tests/fuzz/run $(FUZZ_BUILD) $(FUZZ_NAMES)

clean:
	rm -rf build swarmdeck

# ---- installing: make install / uninstall [PREFIX=/usr/local] [DESTDIR=], make man, make deb
# The binary needs nothing of what is installed beside it (themes and keymaps are compiled
# in); it reads PKGDATADIR only for names it does not have built in (paths.h).
PREFIX        ?= /usr/local
BINDIR        ?= $(PREFIX)/bin
PKGDATADIR    ?= $(PREFIX)/share/swarmdeck
MANDIR        ?= $(PREFIX)/share/man
DOCDIR        ?= $(PREFIX)/share/doc/swarmdeck
COMPLETIONDIR ?= $(PREFIX)/share/bash-completion/completions

# the data folder the binary is built with; rewritten only when it changes, so that only
# paths.o is rebuilt for another PREFIX
.PHONY: FORCE
$(BUILD)/sd_paths.h: FORCE
	@mkdir -p $(@D)
	@printf '#define SD_DATADIR "%s"\n' '$(PKGDATADIR)' > $@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi
$(BUILD)/core/conf/paths.o: $(BUILD)/sd_paths.h

# the man page: doc/swarmdeck.1.in filled by doc/mkman.c with the usage of the binary, the
# registry and the default keymap of this build (man ./build/swarmdeck.1)
MKMAN     := $(BUILD)/doc/mkman
MAN_PAGE  := $(BUILD)/swarmdeck.1
MAN_DATE  := $(shell git log -1 --format=%cs 2>/dev/null || date +%F)
$(MKMAN): doc/mkman.c $(BUILD)/libsdcore.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -o $@ $< $(BUILD)/libsdcore.a $(PKG_LIBS) -lm $(LDFLAGS)
$(BUILD)/usage.txt: $(PROGRAM)
	$(if $(filter /%,$(PROGRAM)),,./)$(PROGRAM) --help > $@.tmp && mv $@.tmp $@
$(MAN_PAGE): doc/swarmdeck.1.in $(MKMAN) $(BUILD)/usage.txt
	$(MKMAN) doc/swarmdeck.1.in $(BUILD)/usage.txt '$(MAN_DATE)' > $@.tmp && mv $@.tmp $@
.PHONY: man
man: $(MAN_PAGE)

# bash completion: the options of --help, the built-in names and the data folder written in
COMPLETION := $(BUILD)/swarmdeck.bash
$(COMPLETION): packaging/swarmdeck.bash.in $(BUILD)/usage.txt $(EMBEDDED)
	sed -e "s|@OPTIONS@|$$( (grep -o -- '--[a-z][a-z-]*' $(BUILD)/usage.txt; echo --help) | sort -u | tr '\n' ' ' | sed 's/ $$//')|" \
	    -e 's|@THEMES@|$(basename $(notdir $(filter themes/%,$(EMBEDDED))))|' \
	    -e 's|@KEYMAPS@|$(basename $(notdir $(filter keymaps/%,$(EMBEDDED))))|' \
	    -e 's|@DATADIR@|$(PKGDATADIR)|' $< > $@.tmp && mv $@.tmp $@
all: $(MAN_PAGE) $(COMPLETION)

# make install / uninstall: the binary, the man page, bash completion, the shipped themes,
# keymaps and drills (PKGDATADIR), the example config and the README (DOCDIR). Built for
# this PREFIX (a new PREFIX rebuilds the one object that names it); DESTDIR is for staging.
INSTALL       ?= install
SHIPPED_DATA  := $(EMBEDDED) $(sort $(wildcard tests/drills/*.yaml))
DOC_FILES     := doc/config.example.yaml README.md
.PHONY: install uninstall deb deb-clean
install: $(PROGRAM) $(MAN_PAGE) $(COMPLETION)
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(COMPLETIONDIR) \
	  $(DESTDIR)$(DOCDIR) $(DESTDIR)$(PKGDATADIR)/themes $(DESTDIR)$(PKGDATADIR)/keymaps \
	  $(DESTDIR)$(PKGDATADIR)/drills
	$(INSTALL) -m 755 $(PROGRAM) $(DESTDIR)$(BINDIR)/swarmdeck
	$(INSTALL) -m 644 $(MAN_PAGE) $(DESTDIR)$(MANDIR)/man1/swarmdeck.1
	$(INSTALL) -m 644 $(COMPLETION) $(DESTDIR)$(COMPLETIONDIR)/swarmdeck
	$(INSTALL) -m 644 $(filter themes/%,$(SHIPPED_DATA)) $(DESTDIR)$(PKGDATADIR)/themes/
	$(INSTALL) -m 644 $(filter keymaps/%,$(SHIPPED_DATA)) $(DESTDIR)$(PKGDATADIR)/keymaps/
	$(INSTALL) -m 644 $(filter tests/drills/%,$(SHIPPED_DATA)) $(DESTDIR)$(PKGDATADIR)/drills/
	$(INSTALL) -m 644 $(DOC_FILES) $(DESTDIR)$(DOCDIR)/

# removes exactly what install put there; folders go only when nothing else is left in them
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/swarmdeck $(DESTDIR)$(MANDIR)/man1/swarmdeck.1 \
	  $(DESTDIR)$(COMPLETIONDIR)/swarmdeck \
	  $(addprefix $(DESTDIR)$(PKGDATADIR)/,$(patsubst tests/%,%,$(SHIPPED_DATA))) \
	  $(addprefix $(DESTDIR)$(DOCDIR)/,$(notdir $(DOC_FILES)))
	-rmdir $(DESTDIR)$(PKGDATADIR)/themes $(DESTDIR)$(PKGDATADIR)/keymaps \
	  $(DESTDIR)$(PKGDATADIR)/drills $(DESTDIR)$(PKGDATADIR) $(DESTDIR)$(DOCDIR) 2>/dev/null || true

# make deb: swarmdeck_VERSION_ARCH.deb here, built with dpkg-deb from an install into a
# staging folder with PREFIX=/usr, in its own build folder; packaging/deb.sh finds the
# Depends with dpkg-shlibdeps
DEB_BUILD := build/deb
deb:
	rm -rf $(DEB_BUILD)/root
	$(MAKE) -s BUILD=$(DEB_BUILD) PREFIX=/usr DESTDIR=$(CURDIR)/$(DEB_BUILD)/root install
	sh packaging/deb.sh $(DEB_BUILD)/root $(VERSION) .
deb-clean:
	rm -f swarmdeck_*.deb
clean: deb-clean
