# bigupload_pass: a complete upload continues to a backend location as a POST
# of its JSON result with the client's headers; the backend answers the
# client. nginx itself is the backend here: a second server that logs the
# body it was given ($request_body, read by its proxy_pass) and answers.
use lib 't/lib';
use Test::BigUpload;
use JSON::PP;
use Time::HiRes qw(sleep);
use IO::Socket::INET;

run_tests();

__DATA__

=== TEST 1: the backend gets the JSON result and the client's headers; its answer is the client's
--- http_config
log_format backend '$request_method $uri|$content_type|$http_authorization|$http_x_trace|$request_body';
log_format up '$status $bigupload_result $bigupload_error';
server {
    listen 127.0.0.1:$TEST_NGINX_PORT2;
    location /app {
        access_log $TEST_NGINX_SERVROOT/logs/backend.log backend;
        proxy_pass http://127.0.0.1:$TEST_NGINX_PORT2/reply;
    }
    location /reply {
        add_header X-App yes;
        return 201 '{"app":"stored it"}';
    }
}
--- config
access_log $TEST_NGINX_SERVROOT/logs/up1.log up;
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
    bigupload_pass /backend;
}
location /backend {
    internal;
    proxy_pass http://127.0.0.1:$TEST_NGINX_PORT2/app;
}
--- request eval
"PUT /upload/d/a.bin?tag=1\n" . ("a" x 100000)
--- more_headers
Authorization: Bearer s3cret
X-Trace: 42
Content-Type: application/octet-stream
--- error_code: 201
--- response_body: {"app":"stored it"}
--- response_headers
X-App: yes
--- response_headers_like eval
"Repr-Digest: sha-256=:[A-Za-z0-9+/]{43}=:"
--- stored_file: d/a.bin
--- stored_sha256 eval: sha256_hex("a" x 100000)
--- check
my @lines = log_lines("backend.log", 1);
is(scalar @lines, 1, "the backend got one request");
my ($req, $ct, $auth, $trace, $body) = split /\|/, $lines[0], 5;
is($req, "POST /app", "a POST");
is($ct, "application/json", "of JSON");
is($auth, "Bearer s3cret", "with the client's Authorization");
is($trace, "42", "and its other headers");
my $j = decode_json(unescape_log($body));
is($j->{result}, "complete", "result");
is($j->{path}, "/d/a.bin", "path");
is($j->{size}, 100000, "size");
is($j->{sha256}, sha256_hex("a" x 100000), "sha256");
is($j->{file}, "$TEST_NGINX_STORE/d/a.bin", "where the file is");
ok($j->{created}, "created");
open my $fh, '<', "$TEST_NGINX_SERVROOT/logs/up1.log" or die;
is(scalar <$fh>, "201 complete \n", "logged as complete");
--- error_log
bigupload: passing "$TEST_NGINX_STORE/d/a.bin" to "/backend"
--- no_error_log
[error]



=== TEST 2: a backend that is down: 502, the file stays, $bigupload_result says complete
--- http_config
log_format up '$status $bigupload_result $bigupload_error $bigupload_sha256';
--- config
access_log $TEST_NGINX_SERVROOT/logs/up2.log up;
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
    bigupload_pass /backend;
}
location /backend {
    internal;
    proxy_pass http://127.0.0.1:$TEST_NGINX_PORT2/app;
}
--- request eval
"PUT /upload/kept.bin\n" . ("k" x 5000)
--- error_code: 502
--- stored_file: kept.bin
--- stored_sha256 eval: sha256_hex("k" x 5000)
--- check
open my $fh, '<', "$TEST_NGINX_SERVROOT/logs/up2.log" or die;
is(scalar <$fh>, "502 complete backend " . sha256_hex("k" x 5000) . "\n", "logged: stored, backend failed");
--- error_log eval
[qr/bigupload: backend answered 502 for "[^"]*kept\.bin", the file is kept/]
--- no_error_log
[crit]



=== TEST 3: bigupload_pass_cleanup removes the file for the statuses it lists
--- http_config
log_format up '$status $bigupload_result $bigupload_error';
--- config
access_log $TEST_NGINX_SERVROOT/logs/up3.log up;
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
    bigupload_pass /backend;
    bigupload_pass_cleanup 400 500-599;
}
location /backend {
    internal;
    proxy_pass http://127.0.0.1:$TEST_NGINX_PORT2/app;
}
--- request eval
"PUT /upload/removed.bin\n" . ("r" x 5000)
--- error_code: 502
--- check
my $gone;
for (1 .. 50) { $gone = !-e store_path("removed.bin"); last if $gone; sleep 0.1; }
ok($gone, "the file was removed");
open my $fh, '<', "$TEST_NGINX_SERVROOT/logs/up3.log" or die;
is(scalar <$fh>, "502 failed backend\n", "logged as failed");
--- error_log eval
[qr/bigupload: backend answered 502 for "[^"]*removed\.bin", removing it \(bigupload_pass_cleanup\)/]



=== TEST 4: a status not listed in bigupload_pass_cleanup keeps the file
--- http_config
server {
    listen 127.0.0.1:$TEST_NGINX_PORT2;
    location /app { return 422 '{"app":"rejected"}'; }
}
--- config
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
    bigupload_pass /backend;
    bigupload_pass_cleanup 500-599;
}
location /backend {
    internal;
    proxy_pass http://127.0.0.1:$TEST_NGINX_PORT2/app;
}
--- request eval
"PUT /upload/k.bin\n" . ("x" x 10)
--- error_code: 422
--- response_body: {"app":"rejected"}
--- stored_file: k.bin
--- error_log eval
[qr/bigupload: backend answered 422 for "[^"]*k\.bin", the file is kept/]



=== TEST 5: a named location; only the request that completes a resumable upload is passed
--- http_config
log_format backend '$request_method $uri|$request_body';
server {
    listen 127.0.0.1:$TEST_NGINX_PORT2;
    location / {
        access_log $TEST_NGINX_SERVROOT/logs/backend5.log backend;
        proxy_pass http://127.0.0.1:$TEST_NGINX_PORT2/reply;
    }
    location /reply { return 200 '{"app":"done"}'; }
}
--- config
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
    bigupload_pass @backend;
}
location @backend {
    proxy_pass http://127.0.0.1:$TEST_NGINX_PORT2;
}
--- check
my ($st, $h, $b) = http_request(method => 'PUT', uri => '/upload/r.bin', body => "1" x 10,
                                headers => { 'Upload-Key' => 'k', 'Content-Range' => 'bytes 0-9/20' });
is($st, 204, "the first half: not passed");
($st, $h, $b) = http_request(method => 'PUT', uri => '/upload/r.bin', body => "2" x 10,
                             headers => { 'Upload-Key' => 'k', 'Content-Range' => 'bytes 10-19/20' });
is($st, 200, "the second half: the backend answers");
is($b, '{"app":"done"}', "with its body");
my @lines = log_lines("backend5.log", 1);
is(scalar @lines, 1, "one notice");
my ($req, $body) = split /\|/, $lines[0], 2;
is($req, "POST /upload/r.bin", "a POST, to the URI of the upload");
my $j = decode_json(unescape_log($body));
is($j->{sha256}, sha256_hex(("1" x 10) . ("2" x 10)), "of the whole file");
is(sha256_file(store_path("r.bin")), sha256_hex(("1" x 10) . ("2" x 10)), "stored");



=== TEST 6: bgclient verifies the upload by Repr-Digest and shows the backend's answer
--- http_config
server {
    listen 127.0.0.1:$TEST_NGINX_PORT2;
    location /app { return 201 '{"app":"thanks","id":7}'; }
}
--- config
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
    bigupload_pass /backend;
}
location /backend {
    internal;
    proxy_pass http://127.0.0.1:$TEST_NGINX_PORT2/app;
}
--- setup
gen_file("$TEST_NGINX_TMP/c3m", 3 * 1048576, 9);
--- exec
$TEST_NGINX_BUILD/bgclient -q http://127.0.0.1:$TEST_NGINX_PORT/upload $TEST_NGINX_TMP/c3m /c.bin && $TEST_NGINX_BUILD/bgclient --json --overwrite http://127.0.0.1:$TEST_NGINX_PORT/upload $TEST_NGINX_TMP/c3m /d.bin && $TEST_NGINX_BUILD/bgclient http://127.0.0.1:$TEST_NGINX_PORT/upload $TEST_NGINX_TMP/c3m /e.bin
--- exit_code: 0
--- check
my @out = split /\n/, $exec_stdout;
is(scalar @out, 3, "-q prints nothing; --json one object; the default two lines");
my $j = decode_json($out[0]);
ok($j->{ok}, "--json: ok");
is($j->{server_sha256}, sha256_file("$TEST_NGINX_TMP/c3m"), "--json: the sha256 the server confirmed");
is_deeply($j->{response}, { app => "thanks", id => 7 }, "--json: the backend's answer");
like($out[1], qr{^uploaded \S+c3m -> http://127\.0\.0\.1:\d+/upload/e\.bin \(3\.00 MiB, .*, sha256 [0-9a-f]{64}\)$}, "the success line");
is($out[2], '{"app":"thanks","id":7}', "then the backend's answer");
is(sha256_file(store_path("e.bin")), sha256_file("$TEST_NGINX_TMP/c3m"), "stored");



=== TEST 7: bigupload_pass must name a URI or a named location
--- config
location /upload/ {
    bigupload;
    bigupload_pass backend;
}
--- must_die
--- error_log
bigupload_pass "backend" is neither a URI (without arguments) nor a named location



=== TEST 8: bigupload_pass_cleanup takes statuses and ranges of them
--- config
location /upload/ {
    bigupload;
    bigupload_pass /b;
    bigupload_pass_cleanup 500-404;
}
--- must_die
--- error_log
invalid status "500-404"



=== TEST 9: the README's example backend (scripts/example-backend.py) with bgclient
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
--- setup
gen_file("$TEST_NGINX_TMP/e1m", 1048576, 11);
--- check
my $pid = fork // die;
if ($pid == 0) {
    open STDOUT, '>', "$TEST_NGINX_TMP/backend.out" or die;
    exec '/usr/bin/python3', "$TEST_NGINX_REPO/scripts/example-backend.py", $TEST_NGINX_PORT2;
    exit 127;
}
# until it listens
for (1 .. 50) { last if IO::Socket::INET->new(PeerAddr => "127.0.0.1:$TEST_NGINX_PORT2"); sleep 0.1; }
my $out = `$TEST_NGINX_BUILD/bgclient -H 'Authorization: Bearer abc' http://127.0.0.1:$TEST_NGINX_PORT/upload $TEST_NGINX_TMP/e1m /docs/e.bin`;
is($? >> 8, 0, "bgclient succeeded");
my $sha = sha256_file("$TEST_NGINX_TMP/e1m");
like($out, qr{\Auploaded .*, sha256 $sha\)\n\{"ok": true, "path": "/docs/e\.bin", "sha256": "$sha"\}\n\z}, "the app's answer");
kill 'TERM', $pid;
waitpid($pid, 0);
open my $fh, '<', "$TEST_NGINX_TMP/backend.out" or die;
is(scalar <$fh>, "received /docs/e.bin (1048576 bytes, sha256 $sha) in $TEST_NGINX_STORE/docs/e.bin from Bearer abc\n", "the app's line");



=== TEST 10: over HTTP/2 too
--- http_config
log_format backend '$request_method $uri|$request_body';
server {
    listen 127.0.0.1:$TEST_NGINX_PORT2;
    location /app {
        access_log $TEST_NGINX_SERVROOT/logs/backend10.log backend;
        proxy_pass http://127.0.0.1:$TEST_NGINX_PORT2/reply;
    }
    location /reply { return 201 '{"app":"h2"}'; }
}
--- config
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
    bigupload_pass /backend;
}
location /backend {
    internal;
    proxy_pass http://127.0.0.1:$TEST_NGINX_PORT2/app;
}
--- setup
gen_file("$TEST_NGINX_TMP/h2m", 2 * 1048576, 12);
--- exec
curl -sS --http2-prior-knowledge -T $TEST_NGINX_TMP/h2m -D $TEST_NGINX_TMP/h2.headers http://127.0.0.1:$TEST_NGINX_H2_PORT/upload/h2.bin
--- exit_code: 0
--- stdout: {"app":"h2"}
--- stored_file: h2.bin
--- check
is(sha256_file(store_path("h2.bin")), sha256_file("$TEST_NGINX_TMP/h2m"), "stored byte for byte");
my @lines = log_lines("backend10.log", 1);
like($lines[0], qr/^POST \/app\|\{\\x22result\\x22:\\x22complete\\x22/, "the backend got the notice");
open my $fh, '<', "$TEST_NGINX_TMP/h2.headers" or die;
my $hdr = do { local $/; <$fh> };
like($hdr, qr/^HTTP\/2 201/m, "HTTP/2 201 from the backend");
like($hdr, qr/^repr-digest: sha-256=:/m, "with the digest");



=== TEST 11: error_page turns a dead backend's 502 into JSON; bgclient says the backend failed
--- config
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
    bigupload_pass /notify;
}
location /notify {
    internal;
    proxy_pass http://127.0.0.1:$TEST_NGINX_PORT2;
    error_page 502 504 = @notify_down;
}
location @notify_down {
    default_type application/json;
    return 502 '{"error":"backend_unavailable","message":"the file is stored, but the application did not answer"}';
}
--- exec
printf 'data' > $TEST_NGINX_TMP/d.txt; $TEST_NGINX_BUILD/bgclient --retries 0 http://127.0.0.1:$TEST_NGINX_PORT/upload $TEST_NGINX_TMP/d.txt /d.txt
--- exit_code: 6
--- stderr_like
^bgclient: server error \(HTTP 502 Bad Gateway\): the file is stored, but the application did not answer$
--- stored_file: d.txt
--- stored_body: data
--- error_log eval
[qr/bigupload: backend answered 502 for "[^"]*d\.txt", the file is kept/]



=== TEST 12: bigupload_pass takes no arguments in its URI
--- config
location /upload/ {
    bigupload;
    bigupload_pass /notify?x=1;
}
--- must_die
--- error_log
bigupload_pass "/notify?x=1" is neither a URI (without arguments) nor a named location
