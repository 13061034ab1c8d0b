# A client that goes away mid-body: no target, no temp file, worker healthy.
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

=== TEST 1: client killed after 1 MiB of a 16 MiB body: no target, no temp file
--- more_headers
Content-Length: 16777216
--- request eval
"PUT /upload/aborted.bin\n" . ("a" x 1048576)
--- abort_after: 1048576
--- not_stored
aborted.bin
--- error_log eval
qr/\[info\] .*bigupload: client closed the connection after \d+ bytes of "\/aborted\.bin"/
--- no_error_log
[alert]
[crit]



=== TEST 2: client killed before any body byte: nothing left either
--- more_headers
Content-Length: 1000000
--- request eval
"PUT /upload/deep/dir/aborted.bin\n" . ("a" x 10)
--- abort_after: 0
--- not_stored
deep/dir/aborted.bin
--- no_error_log
[alert]



=== TEST 3: curl killed mid-upload (rate limited): no target, no temp file
--- request_body_gen: 32m 3
--- exec
curl -sS --limit-rate 2M -T $TEST_NGINX_BODY_FILE http://127.0.0.1:$TEST_NGINX_PORT/upload/killed.bin & pid=$!
sleep 1.5; kill -9 $pid; wait $pid; sleep 0.5; exit 0
--- not_stored
killed.bin
--- error_log
bigupload: client closed the connection after
--- no_error_log
[alert]
[crit]



=== TEST 4: a chunked body cut off mid-chunk leaves nothing
--- more_headers
Transfer-Encoding: chunked
--- request eval
"PUT /upload/cut.bin\n" . "100000\r\n" . ("z" x 500000)
--- abort_after: 300000
--- not_stored
cut.bin
--- no_error_log
[alert]



=== TEST 5: a client that stalls is timed out (client_body_timeout) and nothing is kept
--- config
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
    client_body_timeout 1s;
}
--- more_headers
Content-Length: 1000000
--- request eval
"PUT /upload/stalled.bin\n" . ("s" x 1000)
--- error_code: 408
--- timeout: 10
--- not_stored
stalled.bin
--- no_error_log
[alert]



=== TEST 6: the worker keeps serving after aborted uploads
--- check
for my $i (1 .. 5) {
    http_request(method => 'PUT', uri => "/upload/a$i.bin",
                 headers => { 'Content-Length' => 5000000 },
                 body => "x" x 200000, abort_after => 100000);
}
my ($st) = http_request(method => 'PUT', uri => '/upload/after.bin', body => 'ok');
is($st, 201, "an upload after five aborted ones");
ok(!-e store_path("a$_.bin"), "a$_.bin not stored") for 1 .. 5;
ok(-f store_path("after.bin"), "after.bin stored");
--- no_error_log
[alert]
