# swarmdeck - build, test, demo and bench.
#   make          build ./swarmdeck
#   make test     install what is missing, then unit (plain and ASan/UBSan), lab and TUI tests
#   make demo     install what is missing, bring the lab up, open the console on it
#   make bench    print the performance figures

PKGS      := ncursesw libcurl jansson libpq hiredis yaml-0.1 libcrypto
CC        ?= cc
BUILD     ?= build
OPT       ?= -O2 -g
WARN      := -Wall -Wextra -Wshadow -Wformat=2 -Wmissing-prototypes -Wstrict-prototypes \
             -Wwrite-strings -Wundef
CFLAGS    ?= $(OPT)
VERSION   := 0.1.0
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
BENCH_BIN := $(BUILD)/tests/bench

ifeq ($(BUILD),build)
PROGRAM   := swarmdeck
else
PROGRAM   := $(BUILD)/swarmdeck
endif

.PHONY: all clean test unit demo bench deps sanitize check-warnings
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

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libsdcore.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -o $@ $< $(BUILD)/libsdcore.a $(PKG_LIBS) -lcmocka -lm $(LDFLAGS)

BENCH_SRC := tests/bench/bench.c tests/bench/synth.c
$(BENCH_BIN): $(BENCH_SRC) tests/bench/synth.h $(filter-out $(BUILD)/tui/main.o,$(TUI_OBJ)) $(BUILD)/libsdcore.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -Itui -Itests/bench -o $@ $(BENCH_SRC) \
	  $(filter-out $(BUILD)/tui/main.o,$(TUI_OBJ)) $(BUILD)/libsdcore.a $(PKG_LIBS) -lm $(LDFLAGS)

# ASan + UBSan build of everything, in its own folder
sanitize:
	$(MAKE) BUILD=build/asan OPT="-O1 -g -fno-omit-frame-pointer" \
	  EXTRA_CFLAGS="-fsanitize=address,undefined -fno-sanitize-recover=undefined" \
	  EXTRA_LDFLAGS="-fsanitize=address,undefined" all

deps:
	@sh tests/deps.sh

unit: all
	@sh tests/run unit

test: deps
	@$(MAKE) -s all sanitize EXTRA_CFLAGS="$(EXTRA_CFLAGS) -Werror"
	@sh tests/run all

demo: deps all
	@tests/lab/lab up
	@eval "$$(tests/lab/lab env)" && ./swarmdeck

bench: deps all $(BENCH_BIN)
	@sh tests/bench/run

clean:
	rm -rf build swarmdeck
