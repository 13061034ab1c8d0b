# bigupload_max_size: before the body (also with Expect), and while it streams.
use lib 't/lib';
use Test::BigUpload;

# The config of every block that has no --- config of its own.
default_sections(config => <<'_EOC_');
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
    bigupload_max_size 1m;
}
_EOC_

run_tests();

__DATA__

=== TEST 1: a Content-Length over bigupload_max_size is 413 before any body is read
--- request
PUT /upload/big.bin
--- request_body_gen: 2m 1
--- error_code: 413
--- response_body
{"error":"too_large","message":"body exceeds bigupload_max_size"}
--- not_stored
big.bin
--- error_log eval
qr/\[error\] .*bigupload: upload of "\/big\.bin" is 2097152 bytes, more than bigupload_max_size 1048576/



=== TEST 2: with Expect: 100-continue the 413 comes instead of 100 Continue
--- more_headers
Expect: 100-continue
--- request
PUT /upload/big.bin
--- request_body_gen: 2m 1
--- error_code: 413
--- check
is(scalar @{ $response->{interim} || [] }, 0, "no interim 100 Continue");
--- not_stored
big.bin



=== TEST 3: curl with Expect gets 413 and sends no body
--- request_body_gen: 8m 3
--- exec
curl -sS -o /dev/null -w '%{http_code} %{size_upload}' -H 'Expect: 100-continue' -T $TEST_NGINX_BODY_FILE http://127.0.0.1:$TEST_NGINX_PORT/upload/big.bin
--- stdout_like: ^413 0$
--- not_stored
big.bin



=== TEST 4: a body of exactly bigupload_max_size is accepted
--- request
PUT /upload/exact.bin
--- request_body_gen: 1m 4
--- error_code: 201
--- stored_file: exact.bin
--- stored_sha256: BODY



=== TEST 5: a chunked body crossing bigupload_max_size is stopped with 413 and nothing kept
--- config
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
    bigupload_max_size 100k;
}
--- more_headers
Transfer-Encoding: chunked
--- request eval
"PUT /upload/chunked.bin\n" . chunked_body(("c" x 65536) x 3)
--- error_code: 413
--- response_headers
Connection: close
--- response_body_like: "error":"too_large"
--- not_stored
chunked.bin
--- error_log eval
qr/\[error\] .*bigupload: body of "\/chunked\.bin" exceeds bigupload_max_size 102400/
--- check
my @errors = grep { /\[(error|crit|alert)\]/ } split /\n/, error_log_text();
is(scalar @errors, 1, "logged once");



=== TEST 6: a big streamed body crossing the limit stops the client (curl from stdin)
--- config
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
    bigupload_max_size 4m;
}
--- request_body_gen: 64m 6
--- exec
curl -sS -o /dev/null -w '%{http_code}' -T - http://127.0.0.1:$TEST_NGINX_PORT/upload/stream.bin < $TEST_NGINX_BODY_FILE
--- stdout_like: ^413$
--- not_stored
stream.bin



=== TEST 7: the limit is inherited from the server level
--- config
bigupload_max_size 10;
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
}
--- request eval
"PUT /upload/x.bin\n0123456789A"
--- error_code: 413



=== TEST 8: client_max_body_size does not apply in a bigupload location
--- config
client_max_body_size 10;
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
}
--- request eval
"PUT /upload/x.bin\n" . ("y" x 5000)
--- error_code: 201
--- stored_size: 5000
--- stored_file: x.bin
