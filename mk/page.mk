# The browser upload page (html/, README "The upload page") and the npm
# packages of the project (package.json, package-lock.json): tus-js-client
# for the page, and what the tests run by node (@tus/server and its file
# store, the third-party tus server; playwright-core, which drives Debian's
# chromium).  Installed by `npm ci` into build/npm/, never into the tree.
#   make npm    build/npm/node_modules/ from the lock file
#   make page   build/html/: html/* and vendor/tus.js (tus-js-client's
#               unminified browser build), what `make run` serves at /

.PHONY: npm page

NPM_STAMP  := $(BUILD)/npm/node_modules/.bigupload-installed
PAGE_SRCS  := $(wildcard html/*)
PAGE_STAMP := $(BUILD)/html/.built

$(NPM_STAMP): package.json package-lock.json
	@command -v npm >/dev/null || { echo "npm is missing (scripts/install-deps installs it)" >&2; exit 1; }
	mkdir -p $(BUILD)/npm
	cp package.json package-lock.json $(BUILD)/npm/
	cd $(BUILD)/npm && npm ci --no-audit --no-fund --loglevel=error
	touch $@

npm: $(NPM_STAMP)

$(PAGE_STAMP): $(PAGE_SRCS) $(NPM_STAMP)
	rm -rf $(BUILD)/html.tmp && mkdir -p $(BUILD)/html.tmp/vendor
	cp $(PAGE_SRCS) $(BUILD)/html.tmp/
	cp $(BUILD)/npm/node_modules/tus-js-client/dist/tus.js $(BUILD)/html.tmp/vendor/tus.js
	touch $(BUILD)/html.tmp/.built
	rm -rf $(BUILD)/html && mv $(BUILD)/html.tmp $(BUILD)/html

page: $(PAGE_STAMP)

# make run serves the page; the tests use both
run: page
test-t: page
