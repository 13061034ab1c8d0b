# make deb: the Debian packages libnginx-mod-http-bigupload and bgclient (and their -dbgsym),
# built by dpkg-buildpackage from debian/ into build/deb/ (scripts/make-deb).
# make test-deb: installs them with apt into this machine's nginx, uploads through it and
# removes them, leaving the system as it was (scripts/test-deb).  make test runs it when it
# runs as root on Debian 12; elsewhere it would have nothing to try.

DEB_DIR := $(BUILD)/deb

.PHONY: deb test-deb

deb:
	@sh scripts/install-deps --deb
	sh scripts/make-deb $(DEB_DIR)

test-deb: deb
	bash scripts/test-deb $(DEB_DIR)

ifeq ($(shell id -u),0)
ifneq ($(filter 12.%,$(shell cat /etc/debian_version 2>/dev/null)),)
TEST_MORE += test-deb
endif
endif
