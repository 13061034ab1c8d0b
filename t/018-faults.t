# The data-loss defects an independent fault run found (issue 15): each block
# failed before its fix.
use lib 't/lib';
use Test::BigUpload;

default_sections(config => <<'_EOC_');
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
}
_EOC_

# HEAD with a key: (status, headers)
sub head_key {
    my ($uri, $key) = @_;
    return http_request(method => 'HEAD', uri => $uri, headers => { 'Upload-Key' => $key });
}

run_tests();

__DATA__

=== TEST 1: an upload streaming slower than the expiry is not expired while it runs
--- config
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
    bigupload_expire 2s;
}
--- request_body_gen: 1600000 11
--- exec
curl -sS --limit-rate 250k -X PUT --data-binary @$TEST_NGINX_BODY_FILE -H 'Upload-Key: slow' -w '\n%{http_code}' http://127.0.0.1:$TEST_NGINX_PORT/upload/slow.bin
--- timeout: 30
--- exit_code: 0
--- stdout_like: "size":1600000,.*\n201\z
--- stored_file: slow.bin
--- stored_sha256: BODY
--- no_error_log
was cancelled meanwhile



=== TEST 2: every byte that reached the file of a resumable body cut short is kept
--- check
my $body = join '', map { chr(($_ * 7) % 251) } 0 .. 1499999;
my $r = http_request(method => 'PUT', uri => '/upload/cut.bin',
    headers => { 'Upload-Key' => 'cut', 'Content-Length' => 4000000 },
    body => $body, abort_after => 1500000);
my ($st, $h);
wait_until(sub { ($st, $h) = main::head_key('/upload/cut.bin', 'cut'); ($h->{'upload-offset'} // 0) == 1500000 }, 5);
is($st, 204, "the partial is there");
is($h->{'upload-offset'}, 1500000, "all 1,500,000 bytes kept, not whole buffers");
my $rest = join '', map { chr(($_ * 7) % 251) } 1500000 .. 3999999;
my ($s2, undef, $b2) = http_request(method => 'PUT', uri => '/upload/cut.bin',
    headers => { 'Upload-Key' => 'cut', 'Content-Range' => 'bytes 1500000-3999999/4000000' },
    body => $rest);
is($s2, 201, "the rest completes it");
my $all = join '', map { chr(($_ * 7) % 251) } 0 .. 3999999;
is(sha256_file(store_path("cut.bin")), sha256_hex($all), "byte for byte");
--- no_error_log
[crit]
[alert]



=== TEST 3: the ranges of one upload are bounded: past the bound a clear 4xx, and the state stays readable
--- check
my $n = 0;
my ($st, $b);
for my $i (0 .. 1100) {
    my $at = $i * 1000;
    ($st, undef, $b) = http_request(method => 'PUT', uri => '/upload/many.bin', body => "x",
        headers => { 'Upload-Key' => 'many', 'Content-Range' => "bytes $at-$at/2000000" });
    last if $st != 204;
    $n++;
}
is($n, 1024, "1024 ranges are held");
is($st, 409, "the next one far apart is refused");
like($b, qr/"error":"too_many_ranges"/, "says why");
my ($hs, $h) = main::head_key('/upload/many.bin', 'many');
is($hs, 204, "the partial still answers");
my @r = split /,/, $h->{'upload-ranges'};
is(scalar @r, 1024, "with its ranges");
my ($as) = http_request(method => 'PUT', uri => '/upload/many.bin', body => "y",
    headers => { 'Upload-Key' => 'many', 'Content-Range' => "bytes 1-1/2000000" });
is($as, 204, "a range that joins two held ones is still taken");
--- temp_files_allowed
--- no_error_log
[crit]



=== TEST 4: a keyless DELETE removes a partial however damaged, even one too big to read
--- init
mkdir store_path(".bigupload") or die;
my $id = substr(sha256_hex("/big.bin"), 0, 40);
open my $f, '>', store_path(".bigupload/$id.state") or die;
print $f "x" x (2 * 1048576);
close $f;
open $f, '>', store_path(".bigupload/$id.data") or die; print $f "data"; close $f;
--- check
my ($st) = http_request(method => 'HEAD', uri => '/upload/big.bin', headers => { 'Upload-Key' => 'k' });
is($st, 500, "its state cannot be read");
($st) = http_request(method => 'DELETE', uri => '/upload/big.bin');
is($st, 204, "removed without a key");
opendir my $d, store_path(".bigupload") or die;
my @left = grep { !/^\.\.?$/ && $_ ne 'sweep.lock' } readdir $d;
is("@left", "", "nothing left of it");



=== TEST 5: a resumable body over bigupload_max_size keeps nothing
--- config
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
    bigupload_max_size 100k;
}
--- request eval
"PUT /upload/over.bin\n" . chunked_body("x" x 60000, "y" x 60000)
--- more_headers
Transfer-Encoding: chunked
Upload-Key: over
--- error_code: 413
--- check
my ($st) = main::head_key('/upload/over.bin', 'over');
is($st, 404, "no partial kept");
--- check_tests: 1



=== TEST 6: the status lists a partial once, however many locations share its store
--- config
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
}
location /a/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
}
location /b/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
}
location = /status {
    bigupload_status;
}
--- check
my ($st) = http_request(method => 'PUT', uri => '/upload/p.bin', body => "x" x 10,
    headers => { 'Upload-Key' => 'p', 'Content-Range' => 'bytes 0-9/100' });
is($st, 204, "a partial");
my ($ss, undef, $b) = http_request(uri => '/status');
my @p = $b =~ /"path":"\/p\.bin","offset"/g;
is(scalar @p, 1, "listed once");
my (undef, undef, $prom) = http_request(uri => '/status?format=prometheus');
like($prom, qr/^bigupload_partials 1$/m, "counted once");
--- temp_files_allowed



=== TEST 7: bigupload_fsync on, the directory's fsync fails: 500, and nothing at the target, so a retry succeeds
--- config
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
    bigupload_fsync on;
}
--- setup
system("cc -shared -fPIC -o $TEST_NGINX_TMP/fail_dir_fsync.so t/lib/shim/fail_dir_fsync.c -ldl") == 0
    or die "cannot build the shim";
$ENV{LD_PRELOAD} = "$TEST_NGINX_TMP/fail_dir_fsync.so";
--- init
delete $ENV{LD_PRELOAD};
--- check
my ($st, undef, $b) = http_request(method => 'PUT', uri => '/upload/plain.bin', body => "p" x 1000,
                                   headers => { 'If-None-Match' => '*' });
is($st, 500, "a plain upload whose rename may not last");
like($b, qr/"error":"io_error"/, "an I/O error");
ok(!-e store_path("plain.bin"), "nothing at the target: the answer and the store agree");
($st) = http_request(method => 'PUT', uri => '/upload/r.bin', body => "r" x 1000,
    headers => { 'Upload-Key' => 'rk', 'Content-Range' => 'bytes 0-999/1000' });
is($st, 500, "a resumable upload too");
ok(!-e store_path("r.bin"), "not at the target");
my ($hs, $h) = main::head_key('/upload/r.bin', 'rk');
is($hs, 204, "its partial is back, complete");
is($h->{'upload-ranges'}, '0-999', "with every byte");
--- error_log eval
[qr/\[crit\] .*bigupload: fsync ".*\/store" failed \(5: Input\/output error\)/]
--- temp_files_allowed
