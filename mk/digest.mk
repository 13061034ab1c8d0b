# The digest library's micro-benchmark (scripts/bench.d/digest_speed.cpp):
# GB/s per algorithm on this machine.  Not a test, and not part of `make bench`.
#   make digest-speed [DIGEST_SPEED_ARGS="<MiB per measure> <buffer KiB>"]

.PHONY: digest-speed

$(BUILD)/digest-speed: scripts/bench.d/digest_speed.cpp $(BUILD)/libbigupload_core.a $(CORE_HDRS)
	$(CXX) $(CORE_FLAGS) -o $@ $< $(BUILD)/libbigupload_core.a -lcrypto -lisal

digest-speed: $(BUILD)/digest-speed
	$(BUILD)/digest-speed $(DIGEST_SPEED_ARGS)

# What a zero-copy body path could gain (scripts/bench.d/splice_speed.cpp,
# driven by scripts/bench-zerocopy, which make bench runs): a one-connection
# receiver that copies or splices a PUT body into a file.
$(BUILD)/splice-speed: scripts/bench.d/splice_speed.cpp
	$(CXX) -std=c++17 -O2 -Wall -Wextra -Werror -o $@ $< -lcrypto
