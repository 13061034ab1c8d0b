# Resumable uploads: ranges in any order, HEAD, DELETE, keys, expiry, restarts,
# several connections and several nginx servers on one store.
use lib 't/lib';
use Test::BigUpload;

# PUT one range of a file with curl; prints the status code
sub range_put {
    my ($file, $key, $first, $last, $total, $uri) = @_;
    my $len = $last - $first + 1;
    my $cmd = "dd if='$file' bs=1M iflag=skip_bytes,count_bytes skip=$first count=$len 2>/dev/null"
            . " | curl -sS -o /dev/null -w '%{http_code}' -X PUT --data-binary \@-"
            . " -H 'Upload-Key: $key' -H 'Content-Range: bytes $first-$last/$total'"
            . " http://127.0.0.1:$ENV{TEST_NGINX_PORT}$uri";
    return `$cmd`;
}

# The config of every block that has no --- config of its own.
default_sections(config => <<'_EOC_');
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
}
_EOC_

run_tests();

__DATA__

=== TEST 1: ranges out of order: 204 with the progress, then 201 with the file's sha256
--- setup
gen_file("$TEST_NGINX_TMP/f12m", 12 * 1048576, 1);
--- check
my $f = "$TEST_NGINX_TMP/f12m";
my $m = 1048576;
is(main::range_put($f, "k1", 8 * $m, 12 * $m - 1, 12 * $m, "/upload/r/f.bin"), 204, "last third");
my ($st, $h) = http_request(method => 'HEAD', uri => '/upload/r/f.bin',
                            headers => { 'Upload-Key' => 'k1' });
is($st, 204, "HEAD finds the partial");
is($h->{'upload-offset'}, 0, "nothing contiguous from 0 yet");
is($h->{'upload-ranges'}, (8 * $m) . "-" . (12 * $m - 1), "ranges held");
is($h->{'upload-length'}, 12 * $m, "declared length");
like($h->{'upload-expires'}, qr/GMT$/, "expiry date");
is(main::range_put($f, "k1", 0, 4 * $m - 1, 12 * $m, "/upload/r/f.bin"), 204, "first third");
ok(!-e store_path("r/f.bin"), "nothing at the target while incomplete");
my $out = `dd if='$f' bs=1M skip=4 count=4 2>/dev/null | curl -sS -X PUT --data-binary \@- -H 'Upload-Key: k1' -H 'Content-Range: bytes @{[4*$m]}-@{[8*$m-1]}/@{[12*$m]}' http://127.0.0.1:$TEST_NGINX_PORT/upload/r/f.bin`;
like($out, qr/^\{"path":"\/r\/f\.bin","size":12582912,"sha256":"@{[ sha256_file($f) ]}"\}$/, "completed with the true sha256");
is(sha256_file(store_path("r/f.bin")), sha256_file($f), "stored byte for byte");
($st) = http_request(method => 'HEAD', uri => '/upload/r/f.bin', headers => { 'Upload-Key' => 'k1' });
is($st, 200, "HEAD now reports the finished file");
--- no_error_log
[crit]
[alert]



=== TEST 2: HEAD without a partial is 404; of a finished file 200 with its size
--- init
open my $fh, '>', store_path("done.bin") or die; print $fh "x" x 1234; close $fh;
--- check
my ($st) = http_request(method => 'HEAD', uri => '/upload/none.bin');
is($st, 404, "nothing there");
my ($st2, $h2) = http_request(method => 'HEAD', uri => '/upload/done.bin');
is($st2, 200, "a finished file");
is($h2->{'content-length'}, 1234, "its size");
is($h2->{'upload-complete'}, '?1', "complete");



=== TEST 3: another key cannot append: 409, and the partial is intact
--- temp_files_allowed
--- check
my ($s1) = http_request(method => 'PUT', uri => '/upload/k.bin', body => "a" x 100,
    headers => { 'Upload-Key' => 'owner', 'Content-Range' => 'bytes 0-99/300' });
is($s1, 204, "owner starts");
my ($s2, undef, $b2) = http_request(method => 'PUT', uri => '/upload/k.bin', body => "b" x 100,
    headers => { 'Upload-Key' => 'intruder', 'Content-Range' => 'bytes 100-199/300' });
is($s2, 409, "intruder refused");
like($b2, qr/"error":"upload_key_mismatch"/, "says why");
my ($s3, $h3) = http_request(method => 'HEAD', uri => '/upload/k.bin', headers => { 'Upload-Key' => 'owner' });
is($s3, 204, "owner's partial still there");
is($h3->{'upload-ranges'}, '0-99', "untouched");
my ($s4) = http_request(method => 'HEAD', uri => '/upload/k.bin', headers => { 'Upload-Key' => 'intruder' });
is($s4, 409, "HEAD with another key: 409");
--- error_log
has another Upload-Key



=== TEST 4: DELETE cancels a partial; the wrong key cannot
--- check
my ($s1) = http_request(method => 'PUT', uri => '/upload/c.bin', body => "a" x 100,
    headers => { 'Upload-Key' => 'k', 'Content-Range' => 'bytes 0-99/300' });
is($s1, 204, "partial made");
my ($s2) = http_request(method => 'DELETE', uri => '/upload/c.bin', headers => { 'Upload-Key' => 'x' });
is($s2, 409, "another key cannot cancel");
my ($s3) = http_request(method => 'DELETE', uri => '/upload/c.bin', headers => { 'Upload-Key' => 'k' });
is($s3, 204, "cancelled");
my ($s4) = http_request(method => 'HEAD', uri => '/upload/c.bin', headers => { 'Upload-Key' => 'k' });
is($s4, 404, "gone");
my ($s5) = http_request(method => 'DELETE', uri => '/upload/c.bin', headers => { 'Upload-Key' => 'k' });
is($s5, 404, "nothing left to cancel");
--- error_log
bigupload: cancelled the partial upload of "/c.bin"



=== TEST 5: a resumable PUT broken off keeps what arrived; the rest completes it
--- setup
gen_file("$TEST_NGINX_TMP/f20m", 20 * 1048576, 5);
--- check
my $f = "$TEST_NGINX_TMP/f20m";
open my $in, '<', $f or die; binmode $in; local $/; my $data = <$in>;
http_request(method => 'PUT', uri => '/upload/b.bin', body => $data,
             headers => { 'Upload-Key' => 'kb' }, abort_after => 12 * 1048576);
my $h;
wait_until(sub { my $s; ($s, $h) = http_request(method => 'HEAD', uri => '/upload/b.bin',
                                                headers => { 'Upload-Key' => 'kb' });
                 $s == 204 && $h->{'upload-offset'} > 0 }, 5);
my $off = $h->{'upload-offset'};
cmp_ok($off, '>=', 8 * 1048576, "at least the 8 MiB checkpoint kept ($off)");
cmp_ok($off, '<=', 12 * 1048576, "no more than was sent");
is($h->{'upload-length'}, 20 * 1048576, "the length the first request declared");
my ($st, undef, $body) = http_request(method => 'PUT', uri => '/upload/b.bin',
    body => substr($data, $off), headers => { 'Upload-Key' => 'kb', 'Upload-Offset' => $off });
is($st, 201, "the rest completes it");
like($body, qr/"sha256":"@{[ sha256_file($f) ]}"/, "true sha256");
is(sha256_file(store_path("b.bin")), sha256_file($f), "stored byte for byte");



=== TEST 6: an append of unknown length (chunked) with Upload-Complete
--- check
my ($s1) = http_request(method => 'PUT', uri => '/upload/s.bin', body => chunked_body("hello "),
    headers => { 'Upload-Key' => 'ks', 'Upload-Complete' => '?0', 'Transfer-Encoding' => 'chunked' });
is($s1, 204, "first part");
my ($s2, undef, $b2) = http_request(method => 'PUT', uri => '/upload/s.bin', body => chunked_body("world"),
    headers => { 'Upload-Key' => 'ks', 'Upload-Offset' => 6, 'Transfer-Encoding' => 'chunked' });
is($s2, 201, "last part completes");
like($b2, qr/"size":11/, "size");
open my $in, '<', store_path("s.bin") or die; local $/;
is(scalar <$in>, "hello world", "content");



=== TEST 7: bad ranges: 400, 416, 409, 413, and nothing is written
--- config
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
    bigupload_max_size 1000;
}
--- check
my @cases = (
    [ 'bytes 0-9/x', 10, 400, 'bad_content_range' ],
    [ 'bytes 9-0/100', 10, 416, 'range_not_satisfiable' ],
    [ 'bytes 95-104/100', 10, 416, 'range_not_satisfiable' ],
    [ 'bytes 0-9/100', 11, 400, 'range_length_mismatch' ],
    [ 'bytes 0-99999999999999999999/*', 10, 400, 'bad_content_range' ],
    [ 'bytes 0-9/5000', 10, 413, 'too_large' ],
);
for my $c (@cases) {
    my ($cr, $len, $status, $code) = @$c;
    my ($st, undef, $b) = http_request(method => 'PUT', uri => '/upload/bad.bin', body => "z" x $len,
        headers => { 'Upload-Key' => 'k', 'Content-Range' => $cr });
    is($st, $status, "$cr ($len bytes): $status");
    like($b, qr/"error":"$code"/, "$cr: $code");
}
my ($s1) = http_request(method => 'PUT', uri => '/upload/len.bin', body => "z" x 10,
    headers => { 'Upload-Key' => 'k', 'Content-Range' => 'bytes 0-9/100' });
is($s1, 204, "declares 100");
my ($s2, undef, $b2) = http_request(method => 'PUT', uri => '/upload/len.bin', body => "z" x 10,
    headers => { 'Upload-Key' => 'k', 'Content-Range' => 'bytes 10-19/200' });
is($s2, 409, "another total: 409");
like($b2, qr/"error":"length_mismatch"/, "length_mismatch");
my ($s3) = http_request(method => 'PUT', uri => '/upload/len.bin', body => "z" x 10,
    headers => { 'Upload-Key' => 'bad key' });
is($s3, 400, "a key with a space");
ok(!-e store_path("bad.bin"), "nothing stored");
my ($s4) = http_request(method => 'DELETE', uri => '/upload/len.bin', headers => { 'Upload-Key' => 'k' });
is($s4, 204, "clean up");



=== TEST 8: four ranges at once on four connections: one 201, three 204, one whole file
--- setup
gen_file("$TEST_NGINX_TMP/f16m", 16 * 1048576, 8);
--- exec
f=$TEST_NGINX_TMP/f16m
for i in 0 1 2 3; do
    first=$((i * 4194304)); last=$((first + 4194303))
    dd if=$f bs=1M skip=$((i * 4)) count=4 2>/dev/null | curl -sS -o /dev/null -w '%{http_code}\n' --limit-rate 8M -X PUT --data-binary @- -H 'Upload-Key: par' -H "Content-Range: bytes $first-$last/16777216" http://127.0.0.1:$TEST_NGINX_PORT/upload/par.bin &
done
wait
--- stdout_like: \A(?=(?:.*\n)*201\n)(?:(?:201|204)\n){4}\z
--- check
is(sha256_file(store_path("par.bin")), sha256_file("$TEST_NGINX_TMP/f16m"), "whole and right");
my @c = ($exec_stdout =~ /201/g);
is(scalar @c, 1, "exactly one request completed it");



=== TEST 9: a stale partial is removed by bigupload_expire
--- config
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
    bigupload_expire 1s;
}
--- check
my ($s1) = http_request(method => 'PUT', uri => '/upload/old.bin', body => "o" x 10,
    headers => { 'Upload-Key' => 'k', 'Content-Range' => 'bytes 0-9/100' });
is($s1, 204, "partial made");
ok(wait_until(sub {
    my ($s) = http_request(method => 'HEAD', uri => '/upload/old.bin', headers => { 'Upload-Key' => 'k' });
    $s == 404 }, 8, 0.25), "expired within a few seconds");
opendir my $d, store_path(".bigupload") or die;
my @left = grep { !/^\.\.?$/ && $_ ne 'sweep.lock' } readdir $d;
is("@left", "", "its files are gone");



=== TEST 10: nginx stopped mid-upload: the next nginx continues it (part 1)
--- config
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_TMP/persist;
}
--- setup
system("rm -rf $TEST_NGINX_TMP/persist");
gen_file("$TEST_NGINX_TMP/f6m", 6 * 1048576, 10);
--- check
is(main::range_put("$TEST_NGINX_TMP/f6m", "restart", 0, 3145727, 6291456, "/upload/x.bin"), 204, "half before the restart");



=== TEST 11: nginx stopped mid-upload: the next nginx continues it (part 2)
--- config
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_TMP/persist;
}
--- check
my ($st, $h) = http_request(method => 'HEAD', uri => '/upload/x.bin', headers => { 'Upload-Key' => 'restart' });
is($st, 204, "the new nginx finds the partial");
is($h->{'upload-offset'}, 3145728, "at the offset the old one acknowledged");
is(main::range_put("$TEST_NGINX_TMP/f6m", "restart", 3145728, 6291455, 6291456, "/upload/x.bin"), 201, "completed");
is(sha256_file("$TEST_NGINX_TMP/persist/x.bin"), sha256_file("$TEST_NGINX_TMP/f6m"), "byte for byte");



=== TEST 12: two nginx servers on one store: started on one, finished on the other
--- setup
gen_file("$TEST_NGINX_TMP/f4m", 4 * 1048576, 12);
my $p = "$TEST_NGINX_SERVROOT/second";
system("mkdir -p $p/logs $p/conf");
open my $c, '>', "$p/conf/nginx.conf" or die;
print $c "load_module $TEST_NGINX_BUILD/ngx_http_bigupload_module.so;\n"
       . ($> == 0 ? "user root;\n" : "")
       . "worker_processes 1; error_log $p/logs/error.log info; pid $p/nginx.pid;\n"
       . "events { worker_connections 64; }\n"
       . "http { access_log off; client_body_temp_path $p/body;\n"
       . "  server { listen 127.0.0.1:$ENV{TEST_NGINX_PORT2};\n"
       . "    location /upload/ { bigupload; bigupload_store $TEST_NGINX_STORE; } } }\n";
close $c;
--- exec
p=$TEST_NGINX_SERVROOT/second
$TEST_NGINX_BINARY -p $p -c $p/conf/nginx.conf || exit 1
f=$TEST_NGINX_TMP/f4m
dd if=$f bs=1M count=2 2>/dev/null | curl -sS -o /dev/null -w '%{http_code} ' -X PUT --data-binary @- -H 'Upload-Key: two' -H 'Content-Range: bytes 0-2097151/4194304' http://127.0.0.1:$TEST_NGINX_PORT/upload/two.bin
dd if=$f bs=1M skip=2 count=2 2>/dev/null | curl -sS -o /dev/null -w '%{http_code}' -X PUT --data-binary @- -H 'Upload-Key: two' -H 'Content-Range: bytes 2097152-4194303/4194304' http://127.0.0.1:$TEST_NGINX_PORT2/upload/two.bin
$TEST_NGINX_BINARY -p $p -c $p/conf/nginx.conf -s stop
--- stdout: 204 201
--- check
is(sha256_file(store_path("two.bin")), sha256_file("$TEST_NGINX_TMP/f4m"), "byte for byte");
