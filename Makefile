# bigupload: nginx module (built against Debian's packaged nginx sources),
# bgclient, and their tests.  `make run` and `make test` install what is missing.

BUILD      ?= build
NGX_SRC    ?= /usr/share/nginx/src
NGINX      ?= /usr/sbin/nginx
HOST       ?= 0.0.0.0
PORT       ?= 8083
STORE      ?= $(CURDIR)/uploads

# the module's compiler and linker options (mk/asan.mk builds it with others)
NGX_CC_OPT ?= -g -O2 -fstack-protector-strong -Wformat -Werror=format-security -fPIC -D_FORTIFY_SOURCE=2
NGX_LD_OPT ?= -Wl,-z,relro -Wl,-z,now -fPIC

CXX        ?= g++
CXXSTD     := -std=c++17
WARN       := -Wall -Wextra -Werror
CXXFLAGS   ?= -O2 -g
CORE_FLAGS := $(CXXSTD) $(WARN) $(CXXFLAGS) -fPIC -Ingx_module/core

# one source list for nginx's build (./config) and this one
SOURCES     := ngx_module/sources
CORE_SRCS   := $(addprefix ngx_module/,$(shell sed -n 's/^core //p' $(SOURCES)))
GLUE_SRCS   := $(addprefix ngx_module/,$(shell sed -n 's/^glue //p' $(SOURCES)))
UNLISTED    := $(filter-out $(CORE_SRCS) $(GLUE_SRCS),$(shell find ngx_module -name '*.cpp'))
$(if $(UNLISTED),$(error not listed in $(SOURCES): $(UNLISTED)))
CORE_HDRS   := $(wildcard ngx_module/core/*/*.hpp)
CORE_OBJS   := $(CORE_SRCS:ngx_module/core/%.cpp=$(BUILD)/core/%.o)
GLUE_HDRS   := $(wildcard ngx_module/*.h)

# bgclient: client/bgclient.cpp holds main(); every other client/*.cpp is
# also linked into the unit tests.
CLIENT_MAIN := client/bgclient.cpp
CLIENT_SRCS := $(filter-out $(CLIENT_MAIN),$(wildcard client/*.cpp))
CLIENT_HDRS := $(wildcard client/*.hpp)
CLIENT_OBJS := $(CLIENT_SRCS:client/%.cpp=$(BUILD)/client/%.o)
CLIENT_LIBS := -lcurl -lcrypto -lisal -lpthread

UNIT_SRCS   := $(wildcard t/unit/check_*.c)
UNIT_OBJS   := $(UNIT_SRCS:t/unit/%.c=$(BUILD)/unit/%.o)

MODULE      := $(BUILD)/ngx_http_bigupload_module.so

.PHONY: all deps test-deps module client unit test test-unit test-t test-ring test-large run bench test-bench-quick clean

all: deps module client

deps:
	@sh scripts/install-deps

test-deps:
	@sh scripts/install-deps --test

# --- the nginx module ---------------------------------------------------------
# A private copy of the nginx-dev sources, configured with Debian's own
# conf_flags, so that the module's struct layouts match /usr/sbin/nginx.
$(BUILD)/nginx/objs/Makefile: config $(SOURCES) $(NGX_SRC)/conf_flags
	rm -rf $(BUILD)/nginx && mkdir -p $(BUILD) && cp -a $(NGX_SRC) $(BUILD)/nginx
	cd $(BUILD)/nginx && bash -c '. ./conf_flags && ./configure "$${NGX_CONF_FLAGS[@]}" \
	    --with-cc-opt="$(NGX_CC_OPT)" --with-ld-opt="$(NGX_LD_OPT)" \
	    --add-dynamic-module=$(CURDIR)' > configure.log 2>&1 \
	    || { tail -30 configure.log; exit 1; }

$(MODULE): $(BUILD)/nginx/objs/Makefile $(GLUE_SRCS) $(GLUE_HDRS) $(CORE_SRCS) $(CORE_HDRS)
	$(MAKE) -C $(BUILD)/nginx -f objs/Makefile modules
	# a new file, not rewritten in place: running nginx processes map the old one
	cp $(BUILD)/nginx/objs/ngx_http_bigupload_module.so $@.tmp && mv -f $@.tmp $@

module: $(MODULE)

# --- the pure core, as a library for the client and the unit tests -----------
$(BUILD)/core/%.o: ngx_module/core/%.cpp $(CORE_HDRS)
	@mkdir -p $(dir $@)
	$(CXX) $(CORE_FLAGS) -c -o $@ $<

$(BUILD)/libbigupload_core.a: $(CORE_OBJS)
	rm -f $@ && ar rcs $@ $^

# --- bgclient -----------------------------------------------------------------
$(BUILD)/client/%.o: client/%.cpp $(CLIENT_HDRS) $(CORE_HDRS)
	@mkdir -p $(dir $@)
	$(CXX) $(CORE_FLAGS) -Iclient -c -o $@ $<

$(BUILD)/libbgclient.a: $(CLIENT_OBJS)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/bgclient: $(CLIENT_MAIN) $(BUILD)/libbgclient.a $(BUILD)/libbigupload_core.a $(CLIENT_HDRS)
	$(CXX) $(CORE_FLAGS) $(LDFLAGS) -Iclient -o $@ $(CLIENT_MAIN) $(BUILD)/libbgclient.a \
	    $(BUILD)/libbigupload_core.a $(CLIENT_LIBS)

client: $(if $(wildcard $(CLIENT_MAIN)),$(BUILD)/bgclient)

# --- unit tests: every t/unit/check_<unit>.c exports <unit>_suite() -----------
$(BUILD)/unit/%.o: t/unit/%.c t/unit/check_cxx.h $(CORE_HDRS) $(CLIENT_HDRS)
	@mkdir -p $(dir $@)
	$(CXX) -x c++ $(CORE_FLAGS) -Iclient $$(pkg-config --cflags check) -c -o $@ $<

$(BUILD)/unit/main.c: $(UNIT_SRCS) scripts/gen-unit-main
	@mkdir -p $(dir $@)
	sh scripts/gen-unit-main $(UNIT_SRCS) > $@

$(BUILD)/check_all: $(BUILD)/unit/main.c $(UNIT_OBJS) $(BUILD)/libbgclient.a $(BUILD)/libbigupload_core.a
	$(CXX) -x c++ $(CORE_FLAGS) $$(pkg-config --cflags check) -o $@ $(BUILD)/unit/main.c \
	    -x none $(UNIT_OBJS) $(BUILD)/libbgclient.a $(BUILD)/libbigupload_core.a \
	    $$(pkg-config --libs check) $(CLIENT_LIBS)

unit: $(BUILD)/check_all

# --- tests --------------------------------------------------------------------
# TEST_MORE: the tests that fragments in mk/ add to make test
test: all test-deps unit
	$(MAKE) --no-print-directory test-unit test-t test-ring test-bench-quick $(TEST_MORE)

test-unit: unit
	CK_FORK=yes $(BUILD)/check_all

test-t: module client
	BIGUPLOAD_BUILD=$(abspath $(BUILD)) prove -I t/lib t/

# the body tests again with every body through the ring (bigupload_splice off
# at the http level): both body paths pass the same tests
RING_TESTS = t/001-put.t t/004-limits.t t/006-abort.t t/012-resumable.t t/015-pipeline.t \
             t/018-faults.t t/019-digests.t t/021-ietf.t t/022-tus.t

test-ring: module client
	BIGUPLOAD_BUILD=$(abspath $(BUILD)) BIGUPLOAD_BODY_PATH=ring prove -I t/lib $(RING_TESTS)

test-large: all
	BIGUPLOAD_BUILD=$(abspath $(BUILD)) BIGUPLOAD_LARGE=1 prove -I t/lib t/

# --- running the server -------------------------------------------------------
run: all
	sh scripts/bgserver-run "$(HOST)" "$(PORT)" "$(STORE)"

# --- benchmarks (scripts/bench; BENCHMARKS.md) ----------------------------------
bench:
	BIGUPLOAD_BUILD=$(abspath $(BUILD)) scripts/bench $(if $(filter 1,$(QUICK)),--quick)

# the quick mode once, so that the script cannot rot; its report stays under build/
# (it builds the module and bgclient only when they are missing: `test` built them)
test-bench-quick:
	BIGUPLOAD_BUILD=$(abspath $(BUILD)) scripts/bench --quick --no-build --out $(abspath $(BUILD))/bench-quick

clean:
	rm -rf $(BUILD) t/servroot

# --- further targets, one fragment per concern (fuzzing, sanitizers, packages …)
include $(sort $(wildcard mk/*.mk))
