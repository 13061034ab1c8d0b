# Sourced by --exec blocks: prints what `bgclient --status` reports once the
# server has recorded what a killed client's broken-off requests wrote (the
# server does that when it notices the closed connection, which a loaded
# machine may delay): polls until the answer holds something and is stable.
# Usage: settled_status BGCLIENT URL REMOTE_PATH
settled_status() {
    _prev=
    _i=0
    while [ "$_i" -lt 100 ]; do
        _s=$("$1" --status "$2" "$3")
        case "$_s" in
            *"nothing held"*|absent*) ;;
            *) [ "$_s" = "$_prev" ] && break ;;
        esac
        _prev=$_s
        _i=$((_i + 1))
        sleep 0.15
    done
    printf '%s\n' "$_s"
}
