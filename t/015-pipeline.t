# The write path's pipeline: a hash lane and a write lane per upload over a
# ring of buffers, and Content-Length bodies read by nginx straight into the
# ring.  Small rings make thousands of buffers, hand-offs and wrap-arounds;
# every stored file and every sha256 answered is compared with the source.
use lib 't/lib';
use Test::BigUpload;

# The config of every block that has no --- config of its own.
default_sections(config => <<'_EOC_');
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
    bigupload_buffers 2 4k;
}
_EOC_

run_tests();

__DATA__

=== TEST 1: a Content-Length body through a ring of two 4k buffers
--- request_body_gen: 5000003 131
--- exec
curl -sS -T $TEST_NGINX_BODY_FILE http://127.0.0.1:$TEST_NGINX_PORT/upload/two.bin
--- stdout_like: "size":5000003,"sha256":"$TEST_NGINX_BODY_SHA256"
--- stored_file: two.bin
--- stored_sha256: BODY
--- no_error_log
[error]
[crit]
[alert]



=== TEST 2: a chunked body through a ring of three 4k buffers
--- config
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
    bigupload_buffers 3 4k;
}
--- request_body_gen: 7000001 132
--- exec
curl -sS -T - http://127.0.0.1:$TEST_NGINX_PORT/upload/three.bin < $TEST_NGINX_BODY_FILE
--- stdout_like: "size":7000001,"sha256":"$TEST_NGINX_BODY_SHA256"
--- stored_file: three.bin
--- stored_sha256: BODY
--- no_error_log
[error]
[crit]
[alert]



=== TEST 3: an HTTP/2 body through a ring of two 4k buffers
--- request_body_gen: 3000017 133
--- exec
curl -sS --http2-prior-knowledge -T $TEST_NGINX_BODY_FILE http://127.0.0.1:$TEST_NGINX_H2_PORT/upload/h2.bin
--- stdout_like: "size":3000017,"sha256":"$TEST_NGINX_BODY_SHA256"
--- stored_file: h2.bin
--- stored_sha256: BODY
--- no_error_log
[error]
[crit]
[alert]



=== TEST 4: a slow client: the ring drains between reads and the answer is right
--- request_body_gen: 2000000 134
--- exec
curl -sS --limit-rate 2M -T $TEST_NGINX_BODY_FILE http://127.0.0.1:$TEST_NGINX_PORT/upload/slow.bin
--- stdout_like: "size":2000000,"sha256":"$TEST_NGINX_BODY_SHA256"
--- stored_file: slow.bin
--- stored_sha256: BODY



=== TEST 5: a resumable upload in one request, across checkpoints, with a small ring
--- config
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
    bigupload_buffers 2 64k;
}
--- request_body_gen: 20000003 135
--- exec
curl -sS -H 'Upload-Key: pipe1' -T $TEST_NGINX_BODY_FILE http://127.0.0.1:$TEST_NGINX_PORT/upload/r/one.bin
--- stdout_like: "size":20000003,"sha256":"$TEST_NGINX_BODY_SHA256"
--- stored_file: r/one.bin
--- stored_sha256: BODY
--- no_error_log
[error]
[crit]
[alert]



=== TEST 6: a resumable upload in two ranges with a small ring (the second is not hashed while streaming)
--- setup
gen_file("$TEST_NGINX_TMP/two-ranges", 10_000_005, 136);
--- check
my $f = "$TEST_NGINX_TMP/two-ranges";
my $total = 10_000_005;
my $cut = 9_437_185;    # past the first checkpoint, not on a buffer boundary
my $c1 = `head -c $cut '$f' | curl -sS -o /dev/null -w '%{http_code}' -X PUT --data-binary \@- -H 'Upload-Key: pipe2' -H 'Content-Range: bytes 0-@{[$cut - 1]}/$total' http://127.0.0.1:$TEST_NGINX_PORT/upload/r/two.bin`;
is($c1, 204, "first range held");
my ($st, $h) = http_request(method => 'HEAD', uri => '/upload/r/two.bin',
                            headers => { 'Upload-Key' => 'pipe2' });
is($h->{'upload-offset'}, $cut, "all of the first range is recorded");
my $out = `tail -c +@{[$cut + 1]} '$f' | curl -sS -X PUT --data-binary \@- -H 'Upload-Key: pipe2' -H 'Content-Range: bytes $cut-@{[$total - 1]}/$total' http://127.0.0.1:$TEST_NGINX_PORT/upload/r/two.bin`;
like($out, qr/"size":$total,"sha256":"@{[ sha256_file($f) ]}"/, "completed with the file's sha256");
is(sha256_file(store_path("r/two.bin")), sha256_file($f), "stored byte for byte");
--- no_error_log
[error]
[crit]
[alert]



=== TEST 7: a graceful quit while both lanes are busy lets the upload finish
--- main_config
thread_pool two threads=2;
--- config
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
    bigupload_thread_pool two;
    bigupload_buffers 2 1m;
}
--- request_body_gen: 256m 137
--- exec
curl -sS -o /dev/null -w '%{http_code}' -T $TEST_NGINX_BODY_FILE http://127.0.0.1:$TEST_NGINX_PORT/upload/quit.bin & pid=$!
sleep 0.2; kill -QUIT $(cat $TEST_NGINX_SERVROOT/logs/nginx.pid); wait $pid
--- timeout: 120
--- stdout: 201
--- stored_file: quit.bin
--- stored_sha256: BODY



=== TEST 8: a fast stop while both lanes are busy leaves no temp file
--- main_config
thread_pool two threads=2;
--- config
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
    bigupload_thread_pool two;
    bigupload_buffers 2 1m;
}
--- request_body_gen: 256m 138
--- exec
curl -sS -o /dev/null -T $TEST_NGINX_BODY_FILE http://127.0.0.1:$TEST_NGINX_PORT/upload/term.bin & pid=$!
sleep 0.2; kill -TERM $(cat $TEST_NGINX_SERVROOT/logs/nginx.pid); wait $pid; sleep 0.5; exit 0
--- timeout: 120
--- not_stored
term.bin
