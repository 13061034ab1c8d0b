# Sourced by --exec blocks that need a third-party tus server: @tus/server
# (t/node/tus-server.mjs, run by node) on $TEST_NGINX_PORT2 with its store
# in $TUS_STORE (emptied), its request log in $TUS_LOG, stopped when the
# block's shell exits.  bgclient's state goes to a fresh $XDG_STATE_HOME.
# Usage: tus_start [--digest] [--html DIR] [--max-size N]; then $TUS_URL is
# the creation endpoint (http://127.0.0.1:PORT/upload).
tus_start() {
    TUS_STORE=$TEST_NGINX_TMP/tus-store
    TUS_LOG=$TEST_NGINX_TMP/tus.log
    XDG_STATE_HOME=$TEST_NGINX_TMP/state
    export XDG_STATE_HOME
    rm -rf "$TUS_STORE" "$TUS_LOG" "$XDG_STATE_HOME" "$TEST_NGINX_TMP/tus.out"
    mkdir -p "$TUS_STORE"
    node t/node/tus-server.mjs --port "$TEST_NGINX_PORT2" --store "$TUS_STORE" \
        --log "$TUS_LOG" "$@" > "$TEST_NGINX_TMP/tus.out" 2>&1 &
    TUS_PID=$!
    trap 'kill $TUS_PID 2>/dev/null; wait $TUS_PID 2>/dev/null' EXIT
    _i=0
    until grep -q '^listening' "$TEST_NGINX_TMP/tus.out" 2>/dev/null; do
        _i=$((_i + 1))
        if [ "$_i" -gt 200 ] || ! kill -0 "$TUS_PID" 2>/dev/null; then
            echo "tus_start: @tus/server did not start:" >&2
            cat "$TEST_NGINX_TMP/tus.out" >&2
            return 1
        fi
        sleep 0.05
    done
    TUS_URL=http://127.0.0.1:$TEST_NGINX_PORT2/upload
}

# The state files bgclient keeps ("none" when there are none).
tus_state_files() {
    _f=$(ls "$XDG_STATE_HOME/bgclient" 2>/dev/null | tr '\n' ' ')
    echo "state: ${_f:-none}"
}
