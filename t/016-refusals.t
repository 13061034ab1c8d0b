# What the native dialect does not understand is refused, never stored as a
# file: a part of a file without Upload-Key, another dialect where it is not
# served (tus, the IETF draft), a form's envelope; and empty, repeated or
# contradictory upload headers.  Every refusal: the status, a JSON error
# naming the header, one log line, and nothing in the store.
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

=== TEST 1: curl -C 1000 -T (a Content-Range without Upload-Key) is 400, not the tail stored as the file
--- setup
gen_file("$TEST_NGINX_TMP/c.bin", 20000, 3);
--- exec
curl -sS -C 1000 -T $TEST_NGINX_TMP/c.bin -w '\n%{http_code}' http://127.0.0.1:$TEST_NGINX_PORT/upload/c.bin
--- exit_code: 0
--- stdout_like: \A\{"error":"needs_upload_key","message":"Content-Range needs an Upload-Key: without one this would be stored as the whole file"\}\n\n400\z
--- not_stored
c.bin
--- error_log eval
[qr/\[error\] .*bigupload: Content-Range without Upload-Key for "\/c\.bin": refused, not stored as a whole file/]



=== TEST 2: Upload-Offset other than 0 without Upload-Key is 400
--- request eval
"PUT /upload/o.bin\n" . ("x" x 100)
--- more_headers
Upload-Offset: 1000
--- error_code: 400
--- response_body_like: \A\{"error":"needs_upload_key","message":"Upload-Offset needs an Upload-Key
--- not_stored
o.bin
--- error_log
bigupload: Upload-Offset without Upload-Key for "/o.bin"



=== TEST 3: Upload-Complete: ?0 without Upload-Key is 400
--- request eval
"PUT /upload/p.bin\n" . ("x" x 100)
--- more_headers
Upload-Complete: ?0
--- error_code: 400
--- response_body_like: "error":"needs_upload_key","message":"Upload-Complete: \?0 needs an Upload-Key
--- not_stored
p.bin
--- error_log
bigupload: Upload-Complete without Upload-Key for "/p.bin"



=== TEST 4: an Upload-Length other than the body's without Upload-Key is 400; the same length is a whole file
--- check
my ($st, undef, $b) = http_request(method => 'PUT', uri => '/upload/l.bin', body => "x" x 100,
                                   headers => { 'Upload-Length' => 1000 });
is($st, 400, "a part of a 1000-byte file");
like($b, qr/"error":"needs_upload_key","message":"Upload-Length differs from the body's length/, "says why");
ok(!-e store_path("l.bin"), "nothing stored");
($st) = http_request(method => 'PUT', uri => '/upload/l.bin', body => "x" x 100,
                     headers => { 'Upload-Length' => 100 });
is($st, 201, "the whole file, as declared");
is(sha256_file(store_path("l.bin")), sha256_hex("x" x 100), "stored");
--- error_log
bigupload: Upload-Length without Upload-Key for "/l.bin"



=== TEST 5: a chunked body of another length than its Upload-Length is 400 at its end, and nothing is left
--- request eval
"PUT /upload/ch.bin\n" . chunked_body("x" x 3000, "y" x 2000)
--- more_headers
Transfer-Encoding: chunked
Upload-Length: 6000
--- error_code: 400
--- response_body_like: "error":"upload_length_mismatch"
--- not_stored
ch.bin
--- error_log eval
[qr/\[error\] .*bigupload: the body of ".*\/store\/ch\.bin" is 5000 bytes, Upload-Length said 6000/]



=== TEST 6: a tus creation POST is 400 where tus is not served, stores nothing, and does not block a later upload
--- config
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
    bigupload_protocols native;
}
--- check
my ($st, undef, $b) = http_request(method => 'POST', uri => '/upload/t.bin', body => "",
    headers => { 'Tus-Resumable' => '1.0.0', 'Upload-Length' => 100,
                 'Upload-Metadata' => 'filename dC5iaW4=' });
is($st, 400, "refused");
like($b, qr/"error":"protocol_not_enabled"/, "says why");
ok(!-e store_path("t.bin"), "no 0-byte file");
($st) = http_request(method => 'PUT', uri => '/upload/t.bin', body => "z" x 100,
                     headers => { 'If-None-Match' => '*' });
is($st, 201, "a plain upload to the same path is not blocked by a 409");
is(sha256_file(store_path("t.bin")), sha256_hex("z" x 100), "stored");
--- error_log
bigupload: tus request for "/t.bin" refused: not served here



=== TEST 7: a request in the IETF draft's dialect is 400 too where the draft is not served
--- config
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
    bigupload_protocols native;
}
--- request eval
"POST /upload/i.bin\n" . ("x" x 100)
--- more_headers
Upload-Draft-Interop-Version: 6
Upload-Complete: ?1
--- error_code: 400
--- response_body_like: "error":"protocol_not_enabled"
--- not_stored
i.bin
--- error_log
bigupload: resumable-upload draft request for "/i.bin" refused: not served here



=== TEST 8: where forms are not served, a multipart/form-data POST (curl -F) is 415, the envelope is not stored
--- config
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
    bigupload_protocols native;
}
--- setup
gen_file("$TEST_NGINX_TMP/f.bin", 5000, 4);
--- exec
curl -sS -F file=@$TEST_NGINX_TMP/f.bin -w '\n%{http_code}' http://127.0.0.1:$TEST_NGINX_PORT/upload/f.bin
--- exit_code: 0
--- stdout_like: "error":"unsupported_media_type".*\n415\z
--- not_stored
f.bin
--- error_log
bigupload: a form's body (multipart/form-data) for "/f.bin" refused



=== TEST 9: a urlencoded form POST (curl -d) is 415; curl -X PUT --data-binary (labelled the same) stores its bytes
--- exec
curl -sS -d 'a=1&b=2' -o /dev/null -w '%{http_code} ' http://127.0.0.1:$TEST_NGINX_PORT/upload/form.txt
printf 'raw bytes' | curl -sS -X PUT --data-binary @- -o /dev/null -w '%{http_code}' http://127.0.0.1:$TEST_NGINX_PORT/upload/raw.txt
--- exit_code: 0
--- stdout: 415 201
--- stored_file: raw.txt
--- stored_body: raw bytes
--- not_stored
form.txt
--- error_log
bigupload: a form's body (application/x-www-form-urlencoded) for "/form.txt" refused



=== TEST 10: an empty Upload-Key is 400, not a plain upload
--- raw_request eval
"PUT /upload/k.bin HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nUpload-Key:\r\nContent-Length: 3\r\n\r\nabc"
--- error_code: 400
--- response_body_like: "error":"bad_upload_key"
--- not_stored
k.bin
--- error_log
bigupload: invalid Upload-Key



=== TEST 11: an empty, a repeated, or a contradictory Upload-Offset is 400, and no partial is made
--- check
my @cases = (
    [ "Upload-Offset:\r\n", qr/Upload-Offset is empty/ ],
    [ "Upload-Offset: 0\r\nUpload-Offset: 5\r\n", qr/Upload-Offset is given more than once/ ],
    [ "Upload-Offset: 5\r\nContent-Range: bytes 0-9/10\r\n", qr/Upload-Offset contradicts Content-Range/ ],
);
for my $c (@cases) {
    my $r = http_request(raw => "PUT /upload/u.bin HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
                                . "Upload-Key: k\r\n$c->[0]Content-Length: 10\r\n\r\n0123456789");
    is($r->{status}, 400, "refused");
    like($r->{body}, qr/"error":"bad_upload_header"/, "bad_upload_header");
    like($r->{body}, $c->[1], "says which");
}
my ($st) = http_request(method => 'HEAD', uri => '/upload/u.bin', headers => { 'Upload-Key' => 'k' });
is($st, 404, "no partial was made");
--- no_error_log
[crit]
[alert]



=== TEST 12: bigupload_protocols takes the names of the dialects the module serves, and nothing else
--- config
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
    bigupload_protocols native webdav;
}
--- must_die
--- error_log
invalid value "webdav" in



=== TEST 13: bigupload_protocols native serves the native dialect as before
--- config
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
    bigupload_protocols native;
}
--- request eval
"PUT /upload/n.bin\n" . ("n" x 10)
--- error_code: 201
--- stored_file: n.bin
--- stored_body: nnnnnnnnnn



=== TEST 14: two Content-Types are 400 (is the body a form or a file?), and nothing is stored
--- raw_request eval
"POST /upload/two.bin HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
. "Content-Type: application/octet-stream\r\nContent-Type: multipart/form-data; boundary=b\r\n"
. "Content-Length: 3\r\n\r\nabc"
--- error_code: 400
--- response_body
{"error":"bad_upload_header","message":"Content-Type is given more than once"}
--- not_stored
two.bin
--- error_log
bigupload: bad Content-Type "application/octet-stream": Content-Type is given more than once
