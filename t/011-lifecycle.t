# Lifecycles: nginx shutting down mid-upload, HTTP/2 small bodies, connection
# reuse after a refused body.
use lib 't/lib';
use Test::BigUpload;

# The config of every block that has no --- config of its own.
default_sections(config => <<'_EOC_');
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
}
_EOC_

run_tests();

__DATA__

=== TEST 1: a graceful quit (SIGQUIT) lets an upload in progress finish
--- request_body_gen: 12m 1
--- exec
curl -sS -o /dev/null -w '%{http_code}' --limit-rate 6M -T $TEST_NGINX_BODY_FILE http://127.0.0.1:$TEST_NGINX_PORT/upload/quit.bin & pid=$!
sleep 0.7; kill -QUIT $(cat $TEST_NGINX_SERVROOT/logs/nginx.pid); wait $pid
--- stdout: 201
--- stored_file: quit.bin
--- stored_sha256: BODY



=== TEST 2: a graceful quit while the open task runs on a busy pool still finishes it
--- main_config
thread_pool one threads=1;
--- config
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
    bigupload_thread_pool one;
    bigupload_buffers 2 4k;
    client_body_buffer_size 4k;
}
--- request_body_gen: 4m 2
--- exec
curl -sS -o /dev/null -w '%{http_code}' --limit-rate 4M -T $TEST_NGINX_BODY_FILE http://127.0.0.1:$TEST_NGINX_PORT/upload/q2.bin & pid=$!
sleep 0.3; kill -QUIT $(cat $TEST_NGINX_SERVROOT/logs/nginx.pid); wait $pid
--- stdout: 201
--- stored_file: q2.bin
--- stored_sha256: BODY



=== TEST 3: a fast stop (SIGTERM) mid-upload leaves no temp file
--- request_body_gen: 32m 3
--- exec
curl -sS -o /dev/null --limit-rate 4M -T $TEST_NGINX_BODY_FILE http://127.0.0.1:$TEST_NGINX_PORT/upload/term.bin & pid=$!
sleep 1; kill -TERM $(cat $TEST_NGINX_SERVROOT/logs/nginx.pid); wait $pid; sleep 0.5; exit 0
--- not_stored
term.bin



=== TEST 4: a malformed chunked body closes the connection: a pipelined request is not run
--- config
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
}
location = /other {
    return 200 "smuggled\n";
}
--- raw_request eval
"PUT /upload/x.bin HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"
. "GET /other HTTP/1.1\r\nHost: localhost\r\n\r\n"
--- error_code: 400
--- response_headers
Connection: close
--- response_body_unlike: smuggled
--- not_stored
x.bin
--- check
open my $al, '<', "$TEST_NGINX_SERVROOT/logs/access.log" or die;
my @other = grep { m{GET /other} } <$al>;
is(scalar @other, 0, "the pipelined GET was not run");



=== TEST 5: an early 409 says Connection: close (the body was not read)
--- init
open my $fh, '>', store_path("x.bin") or die; print $fh "original"; close $fh;
--- more_headers
Expect: 100-continue
--- request eval
"PUT /upload/x.bin\n" . ("n" x 100000)
--- error_code: 409
--- response_headers
Connection: close



=== TEST 6: a 405 for a request without a body keeps the connection
--- check
use IO::Socket::INET;
my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$TEST_NGINX_PORT") or die;
print $s "GET /upload/x.bin HTTP/1.1\r\nHost: localhost\r\n\r\n"
       . "GET /upload/y.bin HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
local $/; my $all = <$s>;
my @answers = ($all =~ m{HTTP/1.1 405}g);
is(scalar @answers, 2, "both pipelined requests answered on one connection");



=== TEST 7: many small HTTP/2 uploads, each answered at once
--- exec
head -c 5000 /dev/urandom > $TEST_NGINX_TMP/small
for i in 1 2 3 4 5 6 7 8 9 10; do
    curl -sS -m 5 -o /dev/null -w '%{http_code} ' --http2-prior-knowledge -T $TEST_NGINX_TMP/small http://127.0.0.1:$TEST_NGINX_H2_PORT/upload/s$i.bin
    curl -sS -m 5 -o /dev/null -w '%{http_code} ' --http2-prior-knowledge -T /dev/null http://127.0.0.1:$TEST_NGINX_H2_PORT/upload/e$i.bin
done
--- stdout_like: \A(201 201 ){10}\z
--- check
is(-s store_path("s$_.bin"), 5000, "s$_.bin") for 1 .. 10;
ok(-f store_path("e$_.bin") && -z _, "e$_.bin empty") for 1 .. 10;
