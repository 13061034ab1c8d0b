# Self-tests of the Test::BigUpload harness.  They use only stock nginx
# (DAV module, "return"), so they pass whether or not the bigupload module
# has been built.  Run: prove -I t/lib t/000-harness.t

use lib 't/lib';
use Test::BigUpload;

# The file's default --- config, for every block that has none (as
# Test::Nginx files do it).  Blocks 30-33 test this feature itself.
our $DAV_CONFIG = <<'_EOC_';
location /dav/ {
    root $TEST_NGINX_STORE;
    dav_methods PUT;
    create_full_put_path on;
    client_max_body_size 0;
}
_EOC_

add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value(config => $DAV_CONFIG) unless defined $block->config;
});

# Added last, so it runs first (the Test::Nginx order): a block marked
# --- broken_default gets a default that nginx must refuse.
add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value(config => "bogus_default_directive on;\n")
        if defined $block->broken_default && !defined $block->config;
});

# For the worker fd check's own tests: poll the comparison with the block's
# baseline until $done->($result) holds (10 s at most); returns the result.
sub fds_until {
    my ($done) = @_;
    return wait_until(sub {
        my $r = Test::BigUpload::_fd_compare($Test::BigUpload::B{fd_base});
        $done->($r) && $r;
    }, 10);
}

run_tests();    # no plan: run_tests() calls done_testing()

__DATA__

=== TEST 1: request with body is stored by DAV
--- config
location /dav/ {
    root $TEST_NGINX_STORE;
    dav_methods PUT DELETE MKCOL;
    create_full_put_path on;
    client_max_body_size 0;
}
--- request eval
"PUT /dav/a/b.txt\n" . ("x" x 1000)
--- error_code: 201
--- stored_file: dav/a/b.txt
--- stored_sha256 eval: sha256_hex("x" x 1000)
--- stored_size: 1000
--- no_error_log
[error]
[crit]



=== TEST 2: plain --- request body is sent literally (with its final newline)
--- config
location /dav/ {
    root $TEST_NGINX_STORE;
    dav_methods PUT;
    create_full_put_path on;
}
--- request
PUT /dav/hello.txt
hello world
--- error_code: 201
--- stored_file: dav/hello.txt
--- stored_body
hello world
--- stored_sha256: BODY



=== TEST 3: request_body_gen (8 MiB), BODY sha256 and size
--- request
PUT /dav/big/gen.bin
--- request_body_gen: 8m 42
--- error_code: 201
--- stored_file: dav/big/gen.bin
--- stored_sha256: BODY
--- stored_size: BODY
--- no_error_log
[error]



=== TEST 4: request_body_gen is deterministic (same size and seed, same sha)
--- request
PUT /dav/gen2.bin
--- request_body_gen: 1000001 seed-x
--- error_code: 201
--- stored_file: dav/gen2.bin
--- stored_sha256: BODY
--- check
my $f = "$TEST_NGINX_TMP/check-gen.bin";
my $sha = gen_file($f, 1000001, 'seed-x');
is($sha, sha256_file($f), "gen_file returns the sha256 of what it wrote");
is($sha, sha256_file(store_path('dav/gen2.bin')), "gen_file is deterministic");
isnt(gen_file($f, 1000001, 'seed-y'), $sha, "another seed gives other bytes");
is(-s $f, 1000001, "gen_file size");
--- check_tests: 4



=== TEST 5: more_headers, response_headers, response_headers_like, response_body
--- config
location /hello {
    add_header X-Echo "foo=$http_x_foo";
    return 200 "hello\n";
}
--- request
GET /hello
--- more_headers
X-Foo: bar
--- error_code: 200
--- response_headers
X-Echo: foo=bar
!X-Absent
Content-Length: 6
--- response_headers_like
Content-Type: ^text/plain
Server: ^nginx
--- response_body
hello



=== TEST 6: response_body_like is a multi-line regex; unlike
--- config
location /multi {
    return 200 "line one\nline two\n";
}
--- request
GET /multi
--- response_body_like
^line one$
^line two$
--- response_body_unlike: three



=== TEST 7: error_log and no_error_log (strings and eval'd qr//)
--- config
location / {
    root $TEST_NGINX_STORE;
}
--- request
GET /missing.txt
--- error_code: 404
--- error_log eval
[qr/open\(\) ".*missing\.txt" failed \(2: No such file or directory\)/,
 "[error]"]
--- no_error_log
[crit]
[alert]
[emerg]



=== TEST 8: not_stored (read-only location refuses PUT)
--- config
location /ro/ {
    root $TEST_NGINX_STORE;
}
--- request
PUT /ro/x.txt
data
--- error_code: 405
--- not_stored
ro/x.txt
ro



=== TEST 9: must_die with a bogus directive
--- config
bogus_directive_xyz on;
--- must_die
--- error_log
unknown directive "bogus_directive_xyz"



=== TEST 10: exec with exit_code, stdout, stdout_like, stderr_like, stderr_unlike
--- exec
echo "port=$TEST_NGINX_PORT"; echo "cwd=$(pwd)"; echo oops >&2; exit 3
--- exit_code: 3
--- stdout_like
^port=\d+$
^cwd=.*/main$|^cwd=/
--- stderr_like: ^oops$
--- stderr_unlike: error



=== TEST 11: exec stdout exact, variables in %ENV, stdin_file
--- init
open my $fh, '>', "$ENV{TEST_NGINX_TMP}/stdin.txt" or die;
print $fh "from stdin\n";
close $fh;
--- exec
cat; test "$TEST_NGINX_STORE" = "$TEST_NGINX_SERVROOT/store" && echo store-ok
--- stdin_file: $TEST_NGINX_TMP/stdin.txt
--- exit_code: 0
--- stdout
from stdin
store-ok



=== TEST 12: skip_if with skip_reason
--- skip_if: 1 + 1 == 2
--- skip_reason: testing skip_if
--- request
GET /never
--- error_code: 999



=== TEST 13: skip_if false runs the block
--- skip_if: 0
--- config
location /t { return 204; }
--- request
GET /t
--- error_code: 204
--- response_body:



=== TEST 14: large blocks are skipped unless BIGUPLOAD_LARGE=1
--- large
--- config
location /t { return 200 "large\n"; }
--- request
GET /t
--- response_body
large



=== TEST 15: check code sees $status, $body, %$headers; http_request; bg requests
--- config
location /t {
    return 200 "t-body";
}
location /slow {
    # the DAV PUT of a big body takes a moment: good enough for concurrency
    root $TEST_NGINX_STORE;
    dav_methods PUT;
    create_full_put_path on;
    client_max_body_size 0;
}
--- request
GET /t
--- check
is($status, 200, "check: status");
is($body, "t-body", "check: body");
is($headers->{'content-length'}, 6, "check: lowercased header names");
my ($st, $h, $b) = http_request(method => 'GET', uri => '/t');
is("$st $b", "200 t-body", "check: http_request");
my $r = http_request(method => 'PUT', uri => '/slow/x', body => 'abc');
is($r->{status}, 201, "check: http_request scalar form");
my @bg = map { start_bg_request(method => 'PUT', uri => "/slow/bg$_", body => "n$_" x 100000) } 1 .. 3;
my @st = map { scalar wait_bg($_) } @bg;
is(join(',', map { $_->{status} } @st), '201,201,201', "check: 3 concurrent PUTs");
is(sha256_file(store_path('slow/bg2')), sha256_hex("n2" x 100000), "check: bg body stored");
ok(nginx_pid() && kill(0, nginx_pid()), "check: nginx_pid");
my @w = worker_pids();
is(scalar @w, 1, "check: one worker");
like(error_log_text(), qr/GET \/t /, "check: error_log_text has this block's requests");
--- check_tests: 10



=== TEST 16: h2c via curl against $TEST_NGINX_H2_PORT
--- config
location /h2 {
    return 200 "proto=$server_protocol\n";
}
--- exec
curl -sS --http2-prior-knowledge -w '%{http_version}\n' http://127.0.0.1:$TEST_NGINX_H2_PORT/h2
--- exit_code: 0
--- stdout
proto=HTTP/2.0
2



=== TEST 17: h2c PUT of a generated body via curl (exec sees TEST_NGINX_BODY_*)
--- request_body_gen: 3m 7
--- exec
curl -sS --http2-prior-knowledge -o /dev/null -w '%{http_code} %{http_version}\n' -T $TEST_NGINX_BODY_FILE http://127.0.0.1:$TEST_NGINX_H2_PORT/dav/h2.bin && echo "size=$TEST_NGINX_BODY_SIZE"
--- exit_code: 0
--- stdout
201 2
size=3145728
--- stored_file: dav/h2.bin
--- stored_sha256: BODY



=== TEST 18: abort_after: client dies mid-body, DAV stores nothing
--- request
PUT /dav/aborted.bin
--- request_body_gen: 1m 1
--- abort_after: 1000
--- not_stored
dav/aborted.bin
--- error_log
client prematurely closed connection



=== TEST 19: chunked request body (author provides the chunk framing)
--- config
location /dav/ {
    root $TEST_NGINX_STORE;
    dav_methods PUT;
    create_full_put_path on;
}
--- request eval
"PUT /dav/chunked.txt\n" . "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
--- more_headers
Transfer-Encoding: chunked
--- error_code: 201
--- stored_file: dav/chunked.txt
--- stored_body: hello world



=== TEST 19b: chunked_body() helper builds the framing
--- config
location /dav/ {
    root $TEST_NGINX_STORE;
    dav_methods PUT;
    create_full_put_path on;
}
--- request eval
"PUT /dav/chunked2.txt\n" . chunked_body("abc", "", "defg")
--- more_headers
Transfer-Encoding: chunked
--- error_code: 201
--- stored_file: dav/chunked2.txt
--- stored_body: abcdefg
--- check
is(chunked_body("hello", " world"), "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", "chunked_body framing");
--- check_tests: 1



=== TEST 20: HTTP/1.0 request line and a close-delimited response
--- config
location /t {
    sub_filter_types *;
    sub_filter 'a' 'b';
    sub_filter_once off;
    return 200 "aaa\n";
}
--- request
GET /t HTTP/1.0
--- error_code: 200
--- response_headers
!Content-Length
!Transfer-Encoding
--- response_body
bbb



=== TEST 21: chunked response
--- config
location /t {
    sub_filter_types *;
    sub_filter 'a' 'b';
    sub_filter_once off;
    return 200 "aaa\n";
}
--- request
GET /t
--- error_code: 200
--- response_headers
Transfer-Encoding: chunked
--- response_body
bbb



=== TEST 22: raw_request is sent verbatim
--- config
location /t { return 200 "raw-ok"; }
--- raw_request eval
"GET /t HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
--- error_code: 200
--- response_body: raw-ok



=== TEST 23: request_body_file (created by --- init) and stored_sha256 BODY
--- init
gen_file("$TEST_NGINX_TMP/init-body.bin", '2m', 'init');
--- request
PUT /dav/from-file.bin
--- request_body_file: $TEST_NGINX_TMP/init-body.bin
--- error_code: 201
--- stored_file: dav/from-file.bin
--- stored_sha256: BODY
--- stored_size: 2m



=== TEST 24: Expect: 100-continue gets an early 413 without sending the body
--- config
location /dav/ {
    root $TEST_NGINX_STORE;
    dav_methods PUT;
    client_max_body_size 1k;
}
--- request
PUT /dav/too-big.bin
--- request_body_gen: 4m 3
--- more_headers
Expect: 100-continue
--- error_code: 413
--- not_stored
dav/too-big.bin
--- error_log
client intended to send too large body



=== TEST 25: early 413 while the client is still sending the body
--- config
location /dav/ {
    root $TEST_NGINX_STORE;
    dav_methods PUT;
    client_max_body_size 1k;
}
--- request
PUT /dav/too-big.bin
--- request_body_gen: 8m 3
--- error_code: 413



=== TEST 26: the orphan temp file check, and temp_files_allowed
--- init
mkdir "$TEST_NGINX_STORE/sub" or die;
open my $fh, '>', "$TEST_NGINX_STORE/sub/.bigupload.tmp.1" or die;
close $fh;
--- check
is_deeply([Test::BigUpload::_temp_files()], ['sub/.bigupload.tmp.1'], "orphans are found");
--- check_tests: 1
--- temp_files_allowed



=== TEST 27: exec timeout kills the command (exit -1)
--- exec: sleep 30
--- timeout: 1
--- exit_code: -1



=== TEST 28: http_config and main_config replace defaults
--- main_config
worker_processes 2;
--- http_config
client_body_temp_path $TEST_NGINX_SERVROOT/my_body_temp 1;
default_type application/x-test;
--- config
location /dav/ {
    root $TEST_NGINX_STORE;
    dav_methods PUT;
}
location /t { return 200 "x"; }
--- request
GET /t
--- response_headers
Content-Type: application/x-test
--- check
is(scalar(worker_pids()), 2, "two workers");
ok(-d "$TEST_NGINX_SERVROOT/my_body_temp", "own client_body_temp_path");
--- check_tests: 2



=== TEST 29: setup runs before nginx starts
--- setup
open my $fh, '>', "$TEST_NGINX_STORE/pre.txt" or die;
print $fh "pre";
close $fh;
--- config
location / { root $TEST_NGINX_STORE; }
--- request
GET /pre.txt
--- response_body: pre
--- stored_file: pre.txt
--- stored_body: pre



=== TEST 30: block preprocessor: a block without --- config gets the file's default
--- request
PUT /dav/default/x.txt
hello
--- error_code: 201
--- stored_file: dav/default/x.txt
--- stored_body
hello
--- check
is($block->config, $main::DAV_CONFIG, "the default is the block's config section");
like(Test::BigUpload::_read_file("$TEST_NGINX_SERVROOT/conf/nginx.conf"),
     qr/^location \/dav\/ \{\n    root \Q$TEST_NGINX_STORE\E;\n    dav_methods PUT;$/m,
     "and is in nginx.conf, with its variables replaced");
--- check_tests: 2



=== TEST 31: block preprocessor: a block's own --- config replaces the default, nothing is merged
--- config
location /t { return 200 "own\n"; }
--- request
GET /t
--- response_body
own
--- check
my $r = http_request(method => 'PUT', uri => '/dav/x.txt', body => 'x');
is($r->{status}, 405, "no DAV location from the default");
unlike(Test::BigUpload::_read_file("$TEST_NGINX_SERVROOT/conf/nginx.conf"), qr/dav_methods/,
       "the default is not in nginx.conf");
local @Test::BigUpload::BLOCK_PREPROCESSORS = (sub { die "boom\n" });
is(Test::BigUpload::_preprocess_block($block), "boom\n", "a preprocessor that dies is reported");
--- check_tests: 3
--- not_stored
dav/x.txt



=== TEST 32: block preprocessor: an empty --- config is the block's own (defined), it gets no default
--- config
--- request
PUT /dav/x.txt
x
--- error_code: 405
--- not_stored
dav/x.txt



=== TEST 33: block preprocessor: the one added last runs first, and what it sets reaches nginx (which must refuse it)
--- broken_default
--- must_die
--- error_log
unknown directive "bogus_default_directive"



=== TEST 34: worker fd check: an fd the worker keeps open is found, with its target (open_file_cache)
--- config
open_file_cache max=16 inactive=60s;
location / { root $TEST_NGINX_STORE; }
--- setup
open my $fh, '>', "$TEST_NGINX_STORE/cached.txt" or die;
print $fh "cached";
close $fh;
--- check
my $base = Test::BigUpload::_fd_baseline(1);
is(scalar keys %$base, 1, "a baseline of the one worker");
my ($st, $h, $b) = http_request(uri => '/cached.txt');
is("$st $b", "200 cached", "the file is served (and its fd cached)");
my $r = wait_until(sub { my $r = Test::BigUpload::_fd_compare($base); @{ $r->{leaks} } == 1 && $r }, 5);
my ($w) = keys %$base;
my $n = keys %{ $base->{$w} };
like($r && $r->{leaks}[0], qr{\Aworker $w had $n fds before the request, ${\($n + 1)} now\n  open now:   fd \d+ -> \Q$TEST_NGINX_STORE\E/cached\.txt\z},
     "the check finds it, with its target");
--- check_tests: 3
--- open_fds_allowed
--- stored_file: cached.txt



=== TEST 35: worker fd check: a killed worker's replacement is compared with the baseline, the other worker with itself
--- main_config
worker_processes 2;
--- config
location /t { return 200 "t"; }
--- request
GET /t
--- check
my $base = $Test::BigUpload::B{fd_base};
my @old = sort { $a <=> $b } keys %$base;
is(scalar @old, 2, "a baseline of both workers");
kill 'KILL', $old[0];
# (the signal is delivered asynchronously: wait until the worker is gone)
my $r = main::fds_until(sub {
    my $c = $_[0]{compared};
    @$c == 2 && !grep({ $_ == $old[0] } @$c) && !@{ $_[0]{leaks} };
});
my ($new) = grep { $_ != $old[1] } @{ $r ? $r->{compared} : [] };
ok($new && $new != $old[0], "a new worker replaced the killed one");
is_deeply($r && $r->{notes}, ["worker $old[0] exited during the block: not compared",
                              "worker $new started during the block: compared with worker $old[0] of the baseline"],
          "the killed worker is left out, its replacement compared with it");
--- check_tests: 3
--- error_log
exited on signal 9



=== TEST 36: worker fd check: after a reload the new worker is compared with the old one's baseline
--- config
location /t { return 200 "t"; }
--- request
GET /t
--- check
my $base = $Test::BigUpload::B{fd_base};
my ($old) = keys %$base;
kill 'HUP', nginx_pid();
my $r = main::fds_until(sub { !kill(0, $old) && @{ $_[0]{compared} } == 1 && !@{ $_[0]{leaks} } });
my $new = $r && $r->{compared}[0];
ok($new && $new != $old, "a new worker after the reload");
is_deeply($r && $r->{notes}, ["worker $old exited during the block: not compared",
                              "worker $new started during the block: compared with worker $old of the baseline"],
          "the old worker is left out");
--- check_tests: 2
