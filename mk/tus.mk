# tus-js-client (npm) for the interop tests of t/018-tus.t: installed from the
# committed package.json and package-lock.json into build/tus-js/, never into
# the tree.  `make test` runs it before the t/*.t files (test-t needs it).

.PHONY: tus-js-client

TUS_JS     := $(BUILD)/tus-js
TUS_JS_SRC := t/interop/tus-js-client

$(TUS_JS)/node_modules/.package-lock.json: $(TUS_JS_SRC)/package.json $(TUS_JS_SRC)/package-lock.json
	@command -v npm >/dev/null || { echo "tus-js-client: npm is missing (scripts/install-deps --test)" >&2; exit 1; }
	rm -rf $(TUS_JS) && mkdir -p $(TUS_JS)
	cp $(TUS_JS_SRC)/package.json $(TUS_JS_SRC)/package-lock.json $(TUS_JS)/
	cd $(TUS_JS) && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error

tus-js-client: $(TUS_JS)/node_modules/.package-lock.json

test-t: tus-js-client
