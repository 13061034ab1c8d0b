# make test-asan: everything built with AddressSanitizer + UndefinedBehavior-
# Sanitizer, in a build directory of its own ($(ASAN_BUILD)), and tested:
#   1. the core, bgclient and the Check suites (g++ -fsanitize=address,undefined),
#      run with leak detection: any report fails them;
#   2. the module, built with the same flags in a copy of nginx's sources
#      configured for it, loaded into Debian's /usr/sbin/nginx with the
#      sanitizer runtimes preloaded (scripts/nginx-asan, given to the harness
#      as TEST_NGINX_BINARY, and as BGSERVER_NGINX to scripts/bgserver-run, which
#      t/202 starts), and the whole t/ suite run against it
#      (master_process on, as always) and the sanitized bgclient.  Every
#      report goes to a file of $(ASAN_BUILD)/sanitizer-logs/; the harness fails
#      the block during which one appeared and prints it, and the target
#      fails when any is left.
#   make test-asan [ASAN_TESTS="t/001-put.t t/200-client.t"]

ASAN_BUILD  ?= build-asan
ASAN_FLAGS  := -fsanitize=address,undefined -fno-omit-frame-pointer
ASAN_LOGS   := $(abspath $(ASAN_BUILD))/sanitizer-logs
ASAN_TESTS  ?= t/
# gcc 12 with -fsanitize=address warns "may be used uninitialized" inside
# libstdc++ (<regex>'s std::function moves, a std::variant holding a
# std::string in proto/sfv): known false positives, which -Werror (ours, and
# nginx's for the module) would make fatal
ASAN_WNO    := -Wno-maybe-uninitialized

# nginx's allocations are pools it frees at exit, or never (the master's
# cycle): leak detection is for the unit suites and bgclient only.
# UBSan prints and goes on in nginx (the report fails the block anyway), and
# stops a unit suite at once.
ASAN_COMMON := abort_on_error=0:halt_on_error=1:detect_stack_use_after_return=1:strict_string_checks=1:check_initialization_order=1
UBSAN_COMMON := print_stacktrace=1

.PHONY: test-asan asan-build asan-unit asan-t

# nginx's copy is configured with the module's flags: other flags (this
# file changed) configure it again.  The rule is the Makefile's, for
# BUILD=$(ASAN_BUILD) (the sub-make below); this only adds a prerequisite.
ASAN_NGX_FLAGS := $(ASAN_BUILD)/nginx-flags
$(ASAN_BUILD)/nginx/objs/Makefile: $(ASAN_NGX_FLAGS)
$(ASAN_NGX_FLAGS): FORCE_ASAN_FLAGS
	@mkdir -p $(dir $@)
	@echo '$(NGX_CC_OPT) | $(NGX_LD_OPT)' | cmp -s - $@ 2>/dev/null \
	    || echo '$(NGX_CC_OPT) | $(NGX_LD_OPT)' > $@
FORCE_ASAN_FLAGS:

asan-build: test-deps
	$(MAKE) --no-print-directory BUILD=$(ASAN_BUILD) CXXFLAGS="-O1 -g $(ASAN_FLAGS) $(ASAN_WNO)" \
	    NGX_CC_OPT="-g -O1 -fPIC $(ASAN_FLAGS) $(ASAN_WNO)" NGX_LD_OPT="-Wl,-z,relro -Wl,-z,now -fPIC $(ASAN_FLAGS)" \
	    unit client module npm page

asan-unit: asan-build
	ASAN_OPTIONS=$(ASAN_COMMON):detect_leaks=1 UBSAN_OPTIONS=$(UBSAN_COMMON):halt_on_error=1 \
	    CK_FORK=yes $(ASAN_BUILD)/check_all

asan-t: asan-build
	rm -rf $(ASAN_LOGS) && mkdir -p $(ASAN_LOGS)
	BIGUPLOAD_BUILD=$(abspath $(ASAN_BUILD)) TEST_NGINX_BINARY=$(abspath scripts/nginx-asan) BIGUPLOAD_NGINX=$(NGINX) \
	BGSERVER_NGINX=$(abspath scripts/nginx-asan) \
	TEST_NGINX_SANITIZER_LOGS=$(ASAN_LOGS) BIGUPLOAD_SANITIZED=1 \
	ASAN_OPTIONS=$(ASAN_COMMON):detect_leaks=1:log_path=$(ASAN_LOGS)/asan \
	UBSAN_OPTIONS=$(UBSAN_COMMON):log_path=$(ASAN_LOGS)/ubsan \
	    prove -I t/lib $(ASAN_TESTS); rc=$$?; \
	if [ -n "$$(ls -A $(ASAN_LOGS))" ]; then \
	    echo "test-asan: sanitizer reports in $(ASAN_LOGS):"; \
	    for f in $(ASAN_LOGS)/*; do echo "==== $$f"; head -80 "$$f"; done; exit 1; \
	fi; exit $$rc

test-asan: asan-unit
	$(MAKE) --no-print-directory asan-t
