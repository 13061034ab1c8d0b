# make deb: the Debian packages libnginx-mod-http-bigupload and bgclient (and their -dbgsym),
# built by dpkg-buildpackage from debian/ into build/deb/ (scripts/make-deb).

DEB_DIR := $(BUILD)/deb

.PHONY: deb

deb:
	@sh scripts/install-deps --deb
	sh scripts/make-deb $(DEB_DIR)
