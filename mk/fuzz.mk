# make fuzz: every libFuzzer target fuzz/fuzz_<name>.cpp, each for a set time,
# then a table of executions and crashes per target (scripts/fuzz-run).
#
#   make fuzz [FUZZ_SECONDS=60] [FUZZ_RUNS=N] [FUZZ_TARGETS="range path"]
#       FUZZ_SECONDS per target (0: no time limit), FUZZ_RUNS executions per
#       target (a long run: FUZZ_RUNS=10000000 FUZZ_SECONDS=0); whichever
#       comes first ends a target.  Fails when any target crashed.
#   make fuzz-long         the long run: FUZZ_LONG_RUNS (10 M) executions each,
#       built -O2 with UBSan only in $(FUZZ_LONG_BUILD) (about twice ASan's
#       speed), then every input it kept run once through the ASan build
#   make test-fuzz-quick   every target for FUZZ_QUICK_SECONDS (make test runs it)
#   make fuzz-build        only the binaries, $(FUZZ_BUILD)/fuzz_<name>
#
# A target links the whole core, and declares the client (and core) sources
# it needs in its own comment lines, "// fuzz-sources: ngx_module/core/base/range.cpp …" (as many lines
# as it likes); they are compiled here with clang-14, coverage and ASan +
# UBSan (never the g++-built libbigupload_core.a), once for all targets.  A
# new fuzz/fuzz_*.cpp is picked up without touching this file.  Its seeds are
# fuzz/corpus/<name>/ (read only); what the fuzzer finds goes to
# $(FUZZ_BUILD)/corpus/<name>/, crashing inputs to $(FUZZ_BUILD)/artifacts/<name>/.
# Lines "// fuzz-options: -max_len=256" give it libFuzzer options of its own,
# and fuzz/<name>.dict, when present, is its dictionary.

FUZZ_BUILD         ?= build-fuzz
FUZZ_CXX           ?= clang++-14
FUZZ_SECONDS       ?= 60
FUZZ_RUNS          ?= 0
FUZZ_QUICK_SECONDS ?= 3
FUZZ_TARGETS       ?=

# UBSan findings stop the run like ASan's (by default UBSan only prints);
# _GLIBCXX_ASSERTIONS checks the standard containers' bounds
FUZZ_CXXFLAGS := -std=c++17 -g -O1 -fno-omit-frame-pointer -Wall -Wextra \
                 -fsanitize=address,undefined -fno-sanitize-recover=all \
                 -D_GLIBCXX_ASSERTIONS -Ingx_module/core -Iclient -Ifuzz
# a target's own code is its models and property checks: their compares
# guide nothing, and traced they cost most of a run (4.5x for fuzz_range)
FUZZ_HARNESS_FLAGS := -fno-sanitize-coverage=trace-cmp
FUZZ_LIBS     := -Wl,--as-needed -lcurl -lcrypto -lisal -lpthread

FUZZ_SRCS  := $(wildcard fuzz/fuzz_*.cpp)
FUZZ_NAMES := $(FUZZ_SRCS:fuzz/fuzz_%.cpp=%)
FUZZ_BINS  := $(FUZZ_NAMES:%=$(FUZZ_BUILD)/fuzz_%)

# every target links the whole core (pure code; what it does not call costs
# nothing), so that a core file that starts to need another never breaks a
# target; its own lines add the client sources it needs
FUZZ_CORE    := $(shell sed -n 's|^core |ngx_module/|p' ngx_module/sources)
fuzz_sources = $(sort $(FUZZ_CORE) $(shell sed -n 's|^// fuzz-sources:||p' fuzz/fuzz_$(1).cpp))
fuzz_objs    = $(patsubst %.cpp,$(FUZZ_BUILD)/obj/%.o,$(call fuzz_sources,$(1)))

.PHONY: fuzz fuzz-long fuzz-build test-fuzz-quick fuzz-deps

fuzz-deps:
	@sh scripts/install-deps --test

# a declared source, instrumented for coverage (the target links libFuzzer)
$(FUZZ_BUILD)/obj/%.o: %.cpp
	@mkdir -p $(dir $@)
	$(FUZZ_CXX) $(FUZZ_CXXFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c -o $@ $<

define fuzz_target
$(FUZZ_BUILD)/fuzz_$(1): fuzz/fuzz_$(1).cpp $(call fuzz_objs,$(1))
	@mkdir -p $(FUZZ_BUILD)/target
	$(FUZZ_CXX) $(FUZZ_CXXFLAGS) -fsanitize=fuzzer $(FUZZ_HARNESS_FLAGS) -MMD -MP -MF $(FUZZ_BUILD)/target/$(1).d \
	    -o $$@ $$< $(call fuzz_objs,$(1)) $(FUZZ_LIBS)
endef
$(foreach n,$(FUZZ_NAMES),$(eval $(call fuzz_target,$(n))))

-include $(shell find $(FUZZ_BUILD) -name '*.d' 2>/dev/null)

fuzz-build: $(FUZZ_BINS)

fuzz_run = sh scripts/fuzz-run --build $(FUZZ_BUILD) $(1) -- $(or $(FUZZ_TARGETS),$(FUZZ_NAMES))

fuzz: fuzz-deps
	@$(MAKE) --no-print-directory fuzz-build
	$(call fuzz_run,--seconds $(FUZZ_SECONDS) --runs $(FUZZ_RUNS))

# the long run, in a build of its own; the ASan build then runs once each
# input the long run kept (-runs=0: the corpus only, no fuzzing)
FUZZ_LONG_BUILD ?= build-fuzz-long
FUZZ_LONG_RUNS  ?= 10000000
FUZZ_LONG_FLAGS := -std=c++17 -g -O2 -Wall -Wextra -fsanitize=undefined \
                   -fno-sanitize-recover=all -Ingx_module/core -Iclient -Ifuzz

fuzz-long: fuzz-deps
	@$(MAKE) --no-print-directory FUZZ_BUILD=$(FUZZ_LONG_BUILD) FUZZ_CXXFLAGS="$(FUZZ_LONG_FLAGS)" fuzz-build
	@$(MAKE) --no-print-directory fuzz-build
	sh scripts/fuzz-run --build $(FUZZ_LONG_BUILD) --seconds 0 --runs $(FUZZ_LONG_RUNS) \
	    --replay $(FUZZ_BUILD) -- $(or $(FUZZ_TARGETS),$(FUZZ_NAMES))

# a few seconds each (the seeds, then fuzzing), so that no target rots
test-fuzz-quick: fuzz-deps
	@$(MAKE) --no-print-directory fuzz-build
	$(call fuzz_run,--seconds $(FUZZ_QUICK_SECONDS))

TEST_MORE += test-fuzz-quick
