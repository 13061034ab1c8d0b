# Plain uploads: PUT and POST, Content-Length and chunked, sizes, JSON, Location.
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

=== TEST 1: PUT stores a small file and answers 201 with Location and JSON
--- request eval
"PUT /upload/a.txt\n" . ("hello world\n" x 100)
--- error_code: 201
--- response_headers_like
Location: ^http://localhost:\d+/upload/a\.txt$
Content-Type: ^application/json$
--- response_body eval
'{"path":"/a.txt","size":1200,"sha256":"' . sha256_hex("hello world\n" x 100) . '"}' . "\n"
--- stored_file: a.txt
--- stored_sha256 eval
sha256_hex("hello world\n" x 100)
--- error_log
bigupload: stored "
--- no_error_log
[error]
[crit]
[alert]



=== TEST 2: a 256 MiB body is stored byte for byte
--- request
PUT /upload/big/256m.bin
--- request_body_gen: 256m 1
--- timeout: 120
--- error_code: 201
--- response_body_like: "size":268435456,"sha256":"$TEST_NGINX_BODY_SHA256"
--- stored_file: big/256m.bin
--- stored_sha256: BODY
--- stored_size: 256m
--- no_error_log
[error]
[crit]



=== TEST 3: POST with a raw body uploads like PUT
--- request eval
"POST /upload/posted.bin\n" . ("p" x 70000)
--- error_code: 201
--- stored_file: posted.bin
--- stored_sha256 eval
sha256_hex("p" x 70000)



=== TEST 4: a chunked body is stored and its size reported
--- more_headers
Transfer-Encoding: chunked
--- request eval
"PUT /upload/chunked.bin\n" . chunked_body("a" x 100000, "b" x 3, "c" x 300000)
--- error_code: 201
--- response_body_like: "size":400003,
--- stored_file: chunked.bin
--- stored_sha256 eval
sha256_hex(("a" x 100000) . "bbb" . ("c" x 300000))
--- no_error_log
[error]



=== TEST 5: a large chunked body (streamed by curl from stdin) is stored intact
--- request_body_gen: 32m 5
--- exec
curl -sS -T - http://127.0.0.1:$TEST_NGINX_PORT/upload/stdin.bin < $TEST_NGINX_BODY_FILE
--- exit_code: 0
--- stdout_like: "size":33554432,"sha256":"$TEST_NGINX_BODY_SHA256"
--- stored_file: stdin.bin
--- stored_sha256: BODY



=== TEST 6: an empty body makes an empty file
--- request eval
"PUT /upload/empty\n"
--- error_code: 201
--- response_body_like: "size":0,"sha256":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
--- stored_file: empty
--- stored_size: 0



=== TEST 7: nested directories are created with the access of bigupload_access
--- config
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
    bigupload_access user:rw group:r;
}
--- request eval
"PUT /upload/a/b/c/d/e.bin\n" . ("e" x 1000)
--- error_code: 201
--- stored_file: a/b/c/d/e.bin
--- stored_size: 1000
--- check
is(sprintf("%04o", (stat(store_path("a/b/c/d/e.bin")))[2] & 07777), "0640", "file mode 0640");
is(sprintf("%04o", (stat(store_path("a/b/c")))[2] & 07777), "0750", "directory mode 0750");



=== TEST 8: the default access is user:rw, whatever the umask
--- request eval
"PUT /upload/d/f.bin\nxyz"
--- error_code: 201
--- check
is(sprintf("%04o", (stat(store_path("d/f.bin")))[2] & 07777), "0600", "file mode 0600");
is(sprintf("%04o", (stat(store_path("d")))[2] & 07777), "0700", "directory mode 0700");



=== TEST 9: other methods get 405 with Allow and a JSON body
--- request
GET /upload/a.txt
--- error_code: 405
--- response_headers
Allow: PUT, POST, HEAD, DELETE
Content-Type: application/json
--- response_body
{"error":"method_not_allowed","message":"PUT and POST upload here; HEAD and DELETE ask about and cancel resumable uploads"}
--- error_log
bigupload: method "GET" not allowed



=== TEST 10: DELETE never removes a finished file: without a partial it is 404
--- init
open my $fh, '>', store_path("a.txt") or die; print $fh "keep"; close $fh;
--- request
DELETE /upload/a.txt
--- error_code: 404
--- response_body_like: "error":"not_found"
--- stored_file: a.txt
--- stored_body: keep



=== TEST 11: no Content-Length and no chunked body is 411
--- raw_request eval
"PUT /upload/nolen.bin HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
--- error_code: 411
--- response_body_like: "error":"length_required"
--- not_stored
nolen.bin
--- error_log
bigupload: upload of "/nolen.bin" without Content-Length



=== TEST 12: a body over client_max_body_size's default of 1m needs no raising
--- request
PUT /upload/3m.bin
--- request_body_gen: 3m 12
--- error_code: 201
--- stored_file: 3m.bin
--- stored_sha256: BODY



=== TEST 13: percent-encoded names are decoded once
--- request eval
"PUT /upload/with%20space/%252e%252e.bin\nq"
--- error_code: 201
--- response_body_like: "path":"/with space/%2e%2e.bin"
--- stored_file: with space/%2e%2e.bin
--- stored_body: q



=== TEST 14: the location without a trailing slash maps the same way
--- config
location /files {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
}
--- request eval
"PUT /files/x/y.bin\nhello"
--- error_code: 201
--- response_body_like: "path":"/x/y.bin"
--- stored_file: x/y.bin
--- stored_body: hello



=== TEST 15: a prefix that only matches part of a name is not a path
--- config
location /files {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
}
--- request eval
"PUT /filesX/y.bin\nhello"
--- error_code: 400
--- response_body_like: "error":"bad_path"
--- not_stored
X/y.bin
y.bin



=== TEST 16: an upload through a custom thread pool uses that pool
--- main_config
thread_pool uploads threads=2;
--- config
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
    bigupload_thread_pool uploads;
}
--- request eval
"PUT /upload/pooled.bin\n" . ("z" x 600000)
--- error_code: 201
--- stored_file: pooled.bin
--- stored_sha256 eval
sha256_hex("z" x 600000)
--- error_log
added to thread pool "uploads"
--- no_error_log
added to thread pool "default"



=== TEST 17: without configuration, uploads run on the pool named default
--- request eval
"PUT /upload/pooled.bin\n" . ("z" x 600000)
--- error_code: 201
--- error_log
added to thread pool "default"



=== TEST 18: bigupload_fsync on still stores the file
--- config
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
    bigupload_fsync on;
}
--- request eval
"PUT /upload/durable.bin\n" . ("d" x 300000)
--- error_code: 201
--- stored_file: durable.bin
--- stored_sha256 eval
sha256_hex("d" x 300000)



=== TEST 19: small ring buffers still give the right bytes
--- config
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
    bigupload_buffers 2 4k;
    client_body_buffer_size 1k;
}
--- request
PUT /upload/ring.bin
--- request_body_gen: 5m 19
--- error_code: 201
--- stored_file: ring.bin
--- stored_sha256: BODY
