# The digest library's micro-benchmark (scripts/bench.d/digest_speed.cpp):
# GB/s per algorithm on this machine.  Not a test, and not part of `make bench`.
#   make digest-speed [DIGEST_SPEED_ARGS="<MiB per measure> <buffer KiB>"]

.PHONY: digest-speed

$(BUILD)/digest-speed: scripts/bench.d/digest_speed.cpp $(BUILD)/libbigupload_core.a $(CORE_HDRS)
	$(CXX) $(CORE_FLAGS) -o $@ $< $(BUILD)/libbigupload_core.a -lcrypto -lisal

digest-speed: $(BUILD)/digest-speed
	$(BUILD)/digest-speed $(DIGEST_SPEED_ARGS)
