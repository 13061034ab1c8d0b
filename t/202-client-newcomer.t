# What a newcomer hit (issue 17) and bgclient's memory (issue 14): the
# original tool's example against make run's server (scripts/bgserver-run),
# two such servers side by side, a URL that is not an upload location, a
# rerun of a finished upload, a file that changes while it is sent, the
# small messages, and the resumable hash's bounded memory.
use lib 't/lib';
use Test::BigUpload;

run_tests();

__DATA__

=== TEST 1: make run's server takes the original tool's example verbatim: /uploads/example.zip is <store>/example.zip, logged at notice
--- config
location / {
    return 404;
}
--- request_body_gen: 3m 21
--- exec
b=$TEST_NGINX_TMP/run1; rm -rf $b; mkdir -p $b/work &&
ln -s $TEST_NGINX_BUILD/ngx_http_bigupload_module.so $b/ &&
port=$TEST_NGINX_PORT2 &&
{ BIGUPLOAD_BUILD=$b sh scripts/bgserver-run 127.0.0.1 $port $b/store 2> $b/server.log & } &&
srv=$! && trap 'kill -TERM $srv 2>/dev/null; wait $srv 2>/dev/null' EXIT &&
for i in $(seq 100); do curl -s -o /dev/null http://127.0.0.1:$port/ && break; sleep 0.1; done &&
cp $TEST_NGINX_BODY_FILE $b/work/example.zip && cd $b/work &&
$TEST_NGINX_BUILD/bgclient http://127.0.0.1:$port ./example.zip /uploads/example.zip &&
printf 'tiny' > small.zip &&
$TEST_NGINX_BUILD/bgclient http://127.0.0.1:$port ./small.zip /uploads/small.zip &&
$TEST_NGINX_BUILD/bgclient http://127.0.0.1:$port/upload ./small.zip /in/small.zip &&
echo "stored $(sha256sum < $b/store/example.zip | cut -c1-64) $(cat $b/store/small.zip) $(cat $b/store/in/small.zip)" &&
grep -c '^error_log stderr notice;$' $b/run/$port/nginx.conf &&
kill -TERM $srv && wait $srv; trap - EXIT;
echo "info lines: $(grep -c '\[info\]' $b/server.log)"
--- timeout: 60
--- exit_code: 0
--- stdout_like
\Auploaded \./example\.zip -> http://127\.0\.0\.1:\d+/uploads/example\.zip \(3\.00 MiB, [^)]*sha256 $TEST_NGINX_BODY_SHA256\)
uploaded \./small\.zip -> http://127\.0\.0\.1:\d+/uploads/small\.zip \(4 B, [^)]*\)
uploaded \./small\.zip -> http://127\.0\.0\.1:\d+/upload/in/small\.zip \(4 B, [^)]*\)
stored $TEST_NGINX_BODY_SHA256 tiny tiny
1
info lines: 0
\z
--- stderr_like: \A\z



=== TEST 2: two servers on two ports keep their own build/run/<port>/; stopping one leaves the other running with its files; a second start on a busy port is refused
--- config
location / {
    return 404;
}
--- exec
b=$TEST_NGINX_TMP/run2; rm -rf $b; mkdir -p $b &&
ln -s $TEST_NGINX_BUILD/ngx_http_bigupload_module.so $b/ &&
pa=$TEST_NGINX_PORT2 &&
pb=$(perl -MIO::Socket::INET -e 'print IO::Socket::INET->new(Listen => 1, LocalAddr => "127.0.0.1:0")->sockport') &&
up() { for i in $(seq 100); do curl -s -o /dev/null http://127.0.0.1:$1/ && return 0; sleep 0.1; done; return 1; } &&
{ BIGUPLOAD_BUILD=$b sh scripts/bgserver-run 127.0.0.1 $pa $b/store-a 2> $b/a.log & } && sa=$! && up $pa &&
{ BIGUPLOAD_BUILD=$b sh scripts/bgserver-run 127.0.0.1 $pb $b/store-b 2> $b/b.log & } && sb=$! && up $pb &&
trap 'kill -TERM $sa $sb 2>/dev/null; wait 2>/dev/null' EXIT &&
test "$(cat $b/run/$pa/nginx.pid)" = $sa && test "$(cat $b/run/$pb/nginx.pid)" = $sb &&
grep -q "listen 127.0.0.1:$pa;" $b/run/$pa/nginx.conf && grep -q "listen 127.0.0.1:$pb;" $b/run/$pb/nginx.conf &&
echo "two directories" &&
BIGUPLOAD_BUILD=$b sh scripts/bgserver-run 127.0.0.1 $pb $b/store-c 2> $b/c.log; echo "second start on $pb: $?" &&
grep -q "store-b" $b/run/$pb/nginx.conf && ! grep -q "store-c" $b/run/$pb/nginx.conf && echo "config of $pb untouched" &&
kill -INT $sa && wait $sa;
test ! -e $b/run/$pa/nginx.pid && echo "a stopped, its pid file removed" &&
test "$(cat $b/run/$pb/nginx.pid)" = $sb && kill -0 $sb && echo "b runs, its pid file kept" &&
printf 'bee' > $b/f && $TEST_NGINX_BUILD/bgclient -q http://127.0.0.1:$pb/upload $b/f /f && cat $b/store-b/f && echo &&
sed "s/$pb/PORT/g" $b/c.log
--- timeout: 60
--- exit_code: 0
--- stdout_like eval
qr{\Atwo directories
second start on \d+: 1
config of \d+ untouched
a stopped, its pid file removed
b runs, its pid file kept
bee
bgserver: a server started from \S+/run/PORT already runs on port PORT \(pid \d+\); stop it first, or choose another port
\z}



=== TEST 3: a URL that is not an upload location (nginx's own HTML 413 and 405) is said to be one, not a size limit
--- config
location / {
    root html;
}
--- request_body_gen: 3m 22
--- exec
printf 'tiny' > $TEST_NGINX_TMP/tiny.zip;
$TEST_NGINX_BUILD/bgclient http://127.0.0.1:$TEST_NGINX_PORT $TEST_NGINX_BODY_FILE /uploads/example.zip; echo "big: $?";
$TEST_NGINX_BUILD/bgclient http://127.0.0.1:$TEST_NGINX_PORT $TEST_NGINX_TMP/tiny.zip /uploads/tiny.zip; echo "small: $?";
$TEST_NGINX_BUILD/bgclient --no-resume http://127.0.0.1:$TEST_NGINX_PORT $TEST_NGINX_TMP/tiny.zip /uploads/tiny.zip; echo "plain: $?"
--- exit_code: 0
--- stdout
big: 5
small: 5
plain: 5
--- stderr_like
\Abgclient: http://127\.0\.0\.1:\d+/uploads/example\.zip does not look like an upload location: the server answered HTTP 413 Request Entity Too Large with a page of its own, not bigupload's JSON \(is it a bigupload location, or did a proxy in front of one refuse the size\?\)
bgclient: http://127\.0\.0\.1:\d+/uploads/tiny\.zip does not look like an upload location: the server answered HTTP 405 Not Allowed with a page of its own, not bigupload's JSON \(is it a bigupload location\?\)
bgclient: http://127\.0\.0\.1:\d+/uploads/tiny\.zip does not look like an upload location: the server answered HTTP 405 Not Allowed with a page of its own, not bigupload's JSON \(is it a bigupload location\?\)
\z



=== TEST 4: --json on a connect failure reports the file's real size; the reserved-name error names the full remote path
--- config
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
}
--- request_body_gen: 3m 23
--- exec
$TEST_NGINX_BUILD/bgclient --json --retries 0 http://127.0.0.1:9/upload $TEST_NGINX_BODY_FILE /x.bin; echo "exit $?";
printf 'x' > $TEST_NGINX_TMP/.bigupload-x;
$TEST_NGINX_BUILD/bgclient http://127.0.0.1:$TEST_NGINX_PORT/upload $TEST_NGINX_TMP/.bigupload-x /w/; echo "exit $?"
--- exit_code: 0
--- stdout_like
\A\{"ok":false,"exit_code":4,"error":"transport",.*"size":3145728,"digest":"sha256","elapsed":[0-9.]+,"bytes_per_second":0,"attempts":1\}
exit 4
exit 2
\z
--- stderr_like
\Abgclient: upload to http://127\.0\.0\.1:9/upload/x\.bin failed: .*Couldn't connect to server
bgclient: bad <remote_path> '/w/\.bigupload-x' \('/w/' and the file's name\): path uses the reserved "\.bigupload" prefix
\z



=== TEST 5: rerunning a command that succeeded is safe: "already uploaded", exit 0 ("already":true); another file at the target stays exit 5
--- config
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
}
--- request_body_gen: 3m 24
--- exec
u=http://127.0.0.1:$TEST_NGINX_PORT/upload;
$TEST_NGINX_BUILD/bgclient $u $TEST_NGINX_BODY_FILE /f.bin > /dev/null; echo "first: $?";
$TEST_NGINX_BUILD/bgclient $u $TEST_NGINX_BODY_FILE /f.bin; echo "rerun: $?";
$TEST_NGINX_BUILD/bgclient -j 3 --json $u $TEST_NGINX_BODY_FILE /f.bin; echo "json: $?";
$TEST_NGINX_BUILD/bgclient -q $u $TEST_NGINX_BODY_FILE /f.bin; echo "quiet: $?";
head -c 3145728 /dev/zero > $TEST_NGINX_TMP/same-size.bin;
$TEST_NGINX_BUILD/bgclient $u $TEST_NGINX_TMP/same-size.bin /f.bin; echo "same size, other bytes: $?";
printf 'short' > $TEST_NGINX_TMP/short.bin;
$TEST_NGINX_BUILD/bgclient $u $TEST_NGINX_TMP/short.bin /f.bin; echo "other size: $?"
--- timeout: 60
--- exit_code: 0
--- stdout_like
\Afirst: 0
already uploaded \S+/gen/\S+ -> http://127\.0\.0\.1:\d+/upload/f\.bin \(3\.00 MiB, sha256 matches: $TEST_NGINX_BODY_SHA256\)
rerun: 0
\{"ok":true,"exit_code":0,"file":"[^"]+","url":"http://127\.0\.0\.1:\d+/upload/f\.bin","status":200,"http_version":"HTTP/1\.1","size":3145728,"digest":"sha256","sha256":"$TEST_NGINX_BODY_SHA256","server_sha256":"$TEST_NGINX_BODY_SHA256","created":false,"already":true,"elapsed":[0-9.]+,"bytes_per_second":0,"attempts":1,"verified":"sha256"\}
json: 0
quiet: 0
same size, other bytes: 5
other size: 5
\z
--- stderr_like
\Abgclient: remote file already exists: http://127\.0\.0\.1:\d+/upload/f\.bin \(use --overwrite to replace it\)
bgclient: remote file already exists: http://127\.0\.0\.1:\d+/upload/f\.bin \(use --overwrite to replace it\)
\z
--- stored_file: f.bin
--- stored_sha256: BODY



=== TEST 6: killed after the last byte, before the answer came: the server completed the upload, and the rerun says "already uploaded"
--- config
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
    bigupload_pass /notify;
}
location /notify {
    internal;
    proxy_pass http://127.0.0.1:$TEST_NGINX_PORT2;
}
--- request_body_gen: 3m 25
--- exec
perl -MIO::Socket::INET -e '$s = IO::Socket::INET->new(Listen => 5, LocalAddr => "127.0.0.1:$TEST_NGINX_PORT2", ReuseAddr => 1) or die; print "listening\n"; $| = 1; while ($c = $s->accept) { push @k, $c }' &
sleep 0.5;
u=http://127.0.0.1:$TEST_NGINX_PORT/upload;
$TEST_NGINX_BUILD/bgclient --max-time 3 $u $TEST_NGINX_BODY_FILE /f.bin 2> /dev/null; echo "killed by --max-time: $?";
sha256sum < $TEST_NGINX_STORE/f.bin | cut -c1-64;
$TEST_NGINX_BUILD/bgclient $u $TEST_NGINX_BODY_FILE /f.bin; echo "rerun: $?"
--- timeout: 60
--- exit_code: 0
--- stdout_like
\Alistening
killed by --max-time: 4
$TEST_NGINX_BODY_SHA256
already uploaded \S+ -> http://127\.0\.0\.1:\d+/upload/f\.bin \(3\.00 MiB, sha256 matches: $TEST_NGINX_BODY_SHA256\)
rerun: 0
\z
--- stderr_like: \A\z
--- stored_file: f.bin
--- stored_sha256: BODY



=== TEST 7: a file that grows while it is sent: the upload holds the bytes of the start, and a warning says so (resumable and plain)
--- config
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
}
--- request_body_gen: 4m 26
--- exec
u=http://127.0.0.1:$TEST_NGINX_PORT/upload;
for mode in resume no-resume; do
    f=$TEST_NGINX_TMP/grows-$mode.bin; cp $TEST_NGINX_BODY_FILE $f;
    (sleep 0.7; printf 'more' >> $f) &
    if [ $mode = resume ]; then o=; else o=--no-resume; fi
    $TEST_NGINX_BUILD/bgclient $o --limit-rate 2M $u $f /$mode.bin > /dev/null; echo "$mode: $?";
    wait;
done
--- timeout: 60
--- exit_code: 0
--- stdout
resume: 0
no-resume: 0
--- stderr_like
\Abgclient: warning: '\S+/grows-resume\.bin' changed while it was being sent \(its size went from 4194304 to 4194308 bytes\): the upload holds the 4194304 bytes read from it as they were read, not the file as it is now \(send it again with --overwrite\)
bgclient: warning: '\S+/grows-no-resume\.bin' changed while it was being sent \(its size went from 4194304 to 4194308 bytes\): the upload holds the 4194304 bytes read from it as they were read, not the file as it is now \(send it again with --overwrite\)
\z
--- stored_file
resume.bin
no-resume.bin
--- stored_sha256
BODY
BODY



=== TEST 8: a resumable upload broken off while its file changed: warned; the changed file has another upload key, so the rerun refuses the old partial, and --restart sends the new version
--- config
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
}
--- request_body_gen: 4m 27
--- exec
u=http://127.0.0.1:$TEST_NGINX_PORT/upload;
f=$TEST_NGINX_TMP/changes.bin; cp $TEST_NGINX_BODY_FILE $f;
(sleep 0.5; printf 'more' >> $f) &
$TEST_NGINX_BUILD/bgclient --limit-rate 1M --max-time 2 $u $f /c.bin; echo "broken off: $?"; wait;
$TEST_NGINX_BUILD/bgclient $u $f /c.bin; echo "rerun: $?";
$TEST_NGINX_BUILD/bgclient --restart $u $f /c.bin > /dev/null; echo "restart: $?";
echo "stored $(sha256sum < $TEST_NGINX_STORE/c.bin | cut -c1-64)" "local $(sha256sum < $f | cut -c1-64)"
--- timeout: 60
--- exit_code: 0
--- stdout_like
\Abroken off: 4
rerun: 5
restart: 0
stored ([0-9a-f]{64}) local \1
\z
--- stderr_like
\Abgclient: upload to http://127\.0\.0\.1:\d+/upload/c\.bin failed: Operation timed out .*\(--max-time reached\)
bgclient: warning: '\S+/changes\.bin' changed while it was being sent \(its size went from 4194304 to 4194308 bytes\): its next run derives another upload key from it, so what the server kept of this one is not continued \(the rerun says so; --restart discards it\)
bgclient: a partial upload of another file \(or of another version of this one\) is in progress at http://127\.0\.0\.1:\d+/upload/c\.bin \(use --restart to discard it and upload this file from the start\)
bgclient: discarded the partial upload at http://127\.0\.0\.1:\d+/upload/c\.bin
\z
--- stored_size: 4194308
--- stored_file: c.bin



=== TEST 9: bgclient's peak RSS, the file's mapped pages included, stays far below the file's size (resumable, -j 2, the "already" rerun, --no-resume)
--- config
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
}
--- request_body_gen: 160m 28
--- skip_if: ! -x '/usr/bin/time' || $ENV{BIGUPLOAD_SANITIZED}
--- skip_reason: GNU time (package "time", scripts/install-deps --test) measures the peak RSS, of a bgclient built without sanitizers (make test-asan's has their shadow memory)
--- exec
u=http://127.0.0.1:$TEST_NGINX_PORT/upload;
for run in "resumable /a.bin" "-j2 /b.bin" "already /a.bin" "--no-resume /c.bin"; do
    set -- $run; o=$1; [ $o = resumable ] || [ $o = already ] && o=;
    /usr/bin/time -f %M -o $TEST_NGINX_TMP/rss $TEST_NGINX_BUILD/bgclient -q $o $u $TEST_NGINX_BODY_FILE $2 || exit 9;
    kib=$(tail -1 $TEST_NGINX_TMP/rss); echo "$1: $kib KiB" >&2;
    [ "$kib" -lt 65536 ] && echo "$1: under 64 MiB" || echo "$1: $kib KiB";
done
--- timeout: 120
--- exit_code: 0
--- stdout
resumable: under 64 MiB
-j2: under 64 MiB
already: under 64 MiB
--no-resume: under 64 MiB
--- stored_file
a.bin
b.bin
c.bin
--- stored_sha256
BODY
BODY
BODY
