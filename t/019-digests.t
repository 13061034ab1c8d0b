# The file's digest (issue 13): bigupload_digest's choices, CRCs combined over
# ranges sent out of order, the prefix's hash state kept across requests and
# a worker's death, a damaged saved state, and the client's own digests.
use lib 't/lib';
use Test::BigUpload;
use MIME::Base64 ();
use Digest::SHA ();
use Test::BigUpload::Crc;

default_sections(config => <<'_EOC_');
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
}
_EOC_

sub b64_of_hex { MIME::Base64::encode_base64(pack('H*', $_[0]), '') }

sub body_of { join '', map { chr(($_ * 31 + 7) % 256) } 0 .. $_[0] - 1 }

# the one state file of the store's partials, as [json line, hash]
sub state_file {
    opendir my $d, store_path(".bigupload") or return;
    my ($f) = grep { /\.state$/ } readdir $d;
    return $f ? store_path(".bigupload/$f") : undef;
}

run_tests();

__DATA__

=== TEST 1: each bigupload_digest: the JSON names it, Repr-Digest carries it, HEAD reports it
--- config
location /s256/ { bigupload; bigupload_store $TEST_NGINX_STORE; }
location /s512/ { bigupload; bigupload_store $TEST_NGINX_STORE; bigupload_digest sha512; }
location /c32/  { bigupload; bigupload_store $TEST_NGINX_STORE; bigupload_digest crc32c; }
location /c64/  { bigupload; bigupload_store $TEST_NGINX_STORE; bigupload_digest crc64nvme; }
location /off/  { bigupload; bigupload_store $TEST_NGINX_STORE; bigupload_digest off; }
--- check
my $data = main::body_of(100000);
my %want = (
    s256 => ['sha256', Digest::SHA::sha256_hex($data), 'sha-256'],
    s512 => ['sha512', Digest::SHA::sha512_hex($data), 'sha-512'],
    c32  => ['crc32c', main::crc32c_hex($data), 'crc32c'],
    c64  => ['crc64nvme', main::crc64nvme_hex($data), 'crc64nvme'],
);
for my $loc (sort keys %want) {
    my ($name, $hex, $key) = @{ $want{$loc} };
    my ($st, $h, $b) = http_request(method => 'PUT', uri => "/$loc/f.bin", body => $data);
    is($st, 201, "$loc: stored");
    is($b, qq({"path":"/f.bin","size":100000,"$name":"$hex"}\n), "$loc: the JSON names $name");
    is($h->{'repr-digest'}, "$key=:" . main::b64_of_hex($hex) . ":", "$loc: Repr-Digest $key");
    my ($hs, $hh) = http_request(method => 'HEAD', uri => "/$loc/f.bin");
    is($hh->{'repr-digest'}, "$key=:" . main::b64_of_hex($hex) . ":", "$loc: HEAD reports it");
    unlink store_path("f.bin");
}
my ($st, $h, $b) = http_request(method => 'PUT', uri => "/off/f.bin", body => $data);
is($st, 201, "off: stored");
is($b, qq({"path":"/f.bin","size":100000}\n), "off: no digest");
ok(!exists $h->{'repr-digest'}, "off: no Repr-Digest");
is(sha256_file(store_path("f.bin")), Digest::SHA::sha256_hex($data), "off: the file all the same");
--- no_error_log
[error]



=== TEST 2: CRCs of ranges sent out of order combine into the file's: none is read back
--- config
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
    bigupload_digest crc64nvme;
}
--- check
my $m = 1048576;
my $data = main::body_of(4 * $m);
my $b;
for my $i (3, 1, 0, 2) {
    my ($st, undef, $body) = http_request(method => 'PUT', uri => '/upload/o.bin',
        body => substr($data, $i * $m, $m),
        headers => { 'Upload-Key' => 'ooo',
                     'Content-Range' => sprintf('bytes %d-%d/%d', $i * $m, ($i + 1) * $m - 1, 4 * $m) });
    $b = $body;
    is($st, $i == 2 ? 201 : 204, "range $i");
}
like($b, qr/"crc64nvme":"@{[ main::crc64nvme_hex($data) ]}"/, "the file's CRC-64/NVME");
is(sha256_file(store_path("o.bin")), Digest::SHA::sha256_hex($data), "byte for byte");
--- no_error_log
could not be used
bytes back



=== TEST 3: a worker killed mid-body: the resumed upload continues the saved hash state
--- config
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
}
--- request_body_gen: 24m 5
--- check
my $f = $ENV{TEST_NGINX_BODY_FILE};
my $size = -s $f;
my $pid = open my $curl, '-|', "curl -sS --limit-rate 4M -X PUT --data-binary \@$f -H 'Upload-Key: kill' -o /dev/null http://127.0.0.1:$TEST_NGINX_PORT/upload/k.bin";
# past the first checkpoints (every 8 MiB), then the worker dies
wait_until(sub { my ($st, $h) = http_request(method => 'HEAD', uri => '/upload/k.bin', headers => { 'Upload-Key' => 'kill' });
                 ($h->{'upload-offset'} // 0) >= 8 * 1048576 }, 20, 0.2);
kill KILL => worker_pids();
close $curl;
my ($st, $h);
wait_until(sub { ($st, $h) = http_request(method => 'HEAD', uri => '/upload/k.bin', headers => { 'Upload-Key' => 'kill' }); $st == 204 }, 10);
my $offset = $h->{'upload-offset'};
cmp_ok($offset, '>=', 8 * 1048576, "at least a checkpoint's worth held");
open my $sf, '<', main::state_file() or die; my $state = <$sf>; close $sf;
like($state, qr/"digest":\{"alg":"sha256","hashed":$offset,/, "the state has the hash of exactly what it holds");
my $out = `tail -c +@{[$offset + 1]} '$f' | curl -sS -X PUT --data-binary \@- -H 'Upload-Key: kill' -H 'Content-Range: bytes $offset-@{[$size - 1]}/$size' http://127.0.0.1:$TEST_NGINX_PORT/upload/k.bin`;
like($out, qr/"sha256":"$TEST_NGINX_BODY_SHA256"/, "the true sha256");
is(sha256_file(store_path("k.bin")), $TEST_NGINX_BODY_SHA256, "byte for byte");
--- timeout: 60
--- no_error_log
could not be used
--- error_log
exited on signal 9



=== TEST 4: a damaged saved hash state is not trusted: the file is hashed from its start, and that is logged
--- check
my $data = main::body_of(300000);
my ($st) = http_request(method => 'PUT', uri => '/upload/d.bin', body => substr($data, 0, 100000),
    headers => { 'Upload-Key' => 'dmg', 'Content-Range' => 'bytes 0-99999/300000' });
is($st, 204, "a first range");
my $file = main::state_file();
open my $sf, '<', $file or die; my $line = <$sf>; close $sf;
chomp $line;
# a valid state whose saved hash state is another file's (its checksum made right)
$line =~ s/("saved":")([0-9a-f]{20})/$1 . ('0' x 20)/e or die "no saved state in $line";
open $sf, '>', $file or die; print $sf $line, "\nsha256 ", Digest::SHA::sha256_hex($line), "\n"; close $sf;
my ($s2, undef, $b) = http_request(method => 'PUT', uri => '/upload/d.bin', body => substr($data, 100000),
    headers => { 'Upload-Key' => 'dmg', 'Content-Range' => 'bytes 100000-299999/300000' });
is($s2, 201, "completed");
like($b, qr/"sha256":"@{[ Digest::SHA::sha256_hex($data) ]}"/, "with the true sha256");
--- error_log
could not be used (damaged, or of another bigupload_digest): the file was hashed from its start
the digest of "/d.bin" was finished by reading 300000 bytes back (bytes no request had hashed)



=== TEST 5: a Content-Digest that is not the body's: 400, nothing of it kept
--- check
my $data = main::body_of(1000);
my $wrong = "sha-256=:" . MIME::Base64::encode_base64(Digest::SHA::sha256("other"), '') . ":";
my ($st, undef, $b) = http_request(method => 'PUT', uri => '/upload/c.bin', body => $data,
    headers => { 'Content-Digest' => $wrong });
is($st, 400, "a plain upload");
like($b, qr/"error":"digest_mismatch"/, "digest_mismatch");
ok(!-e store_path("c.bin"), "not stored");
($st) = http_request(method => 'PUT', uri => '/upload/r.bin', body => $data,
    headers => { 'Upload-Key' => 'cd', 'Content-Range' => 'bytes 0-999/2000', 'Content-Digest' => $wrong });
is($st, 400, "a range of a resumable upload");
my ($hs, $h) = http_request(method => 'HEAD', uri => '/upload/r.bin', headers => { 'Upload-Key' => 'cd' });
is($h->{'upload-ranges'} // '', '', "none of its bytes recorded");
my $right = "sha-256=:" . MIME::Base64::encode_base64(Digest::SHA::sha256($data), '') . ":";
($st) = http_request(method => 'PUT', uri => '/upload/r.bin', body => $data,
    headers => { 'Upload-Key' => 'cd', 'Content-Range' => 'bytes 0-999/2000', 'Content-Digest' => $right });
is($st, 204, "with the right one it counts");
my $crc = "crc32c=:" . main::b64_of_hex(main::crc32c_hex($data)) . ":";
($st) = http_request(method => 'PUT', uri => '/upload/c2.bin', body => $data,
    headers => { 'Content-Digest' => $crc });
is($st, 201, "a crc32c Content-Digest is checked too");
--- temp_files_allowed
--- error_log
differs from the one sent



=== TEST 6: a Repr-Digest that is not the file's: a plain upload is refused; a resumable one is not stored, its partial discarded
--- check
my $data = main::body_of(2000);
my $wrong = "sha-256=:" . MIME::Base64::encode_base64(Digest::SHA::sha256("other"), '') . ":";
my ($st, undef, $b) = http_request(method => 'PUT', uri => '/upload/p.bin', body => $data,
    headers => { 'Repr-Digest' => $wrong });
is($st, 400, "plain: refused");
ok(!-e store_path("p.bin"), "plain: not stored");
($st) = http_request(method => 'PUT', uri => '/upload/x.bin', body => substr($data, 0, 1000),
    headers => { 'Upload-Key' => 'rd', 'Content-Range' => 'bytes 0-999/2000', 'Repr-Digest' => $wrong });
is($st, 204, "resumable: a first range, with the whole file's declared digest");
($st, undef, $b) = http_request(method => 'PUT', uri => '/upload/x.bin', body => substr($data, 1000),
    headers => { 'Upload-Key' => 'rd', 'Content-Range' => 'bytes 1000-1999/2000' });
is($st, 409, "the completing range: the file has another digest");
like($b, qr/"error":"file_digest_mismatch"/, "file_digest_mismatch");
ok(!-e store_path("x.bin"), "nothing wrong renamed into place");
my ($hs) = http_request(method => 'HEAD', uri => '/upload/x.bin', headers => { 'Upload-Key' => 'rd' });
is($hs, 404, "the partial is discarded");
my $right = "sha-256=:" . MIME::Base64::encode_base64(Digest::SHA::sha256($data), '') . ":";
($st) = http_request(method => 'PUT', uri => '/upload/y.bin', body => $data,
    headers => { 'Repr-Digest' => $right });
is($st, 201, "the right one is taken");
--- error_log
differs from the Repr-Digest sent for it



=== TEST 7: a malformed Content-Digest is 400
--- request eval
"PUT /upload/m.bin\nabc"
--- more_headers
Content-Digest: sha-256=not-bytes
--- error_code: 400
--- response_body_like: "error":"bad_digest_field"
--- not_stored
m.bin



=== TEST 8: a CRC upload broken off past a checkpoint, continuing a range held: nothing is read back
A client killed while its request, which continued a range the server held,
had passed a checkpoint: the checkpoint joined its bytes to that range, and
the end of the request must not drop the range's CRC (it did: the
completion then read the range back).
--- config
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
    bigupload_digest crc64nvme;
}
--- request_body_gen: 20m 8
--- check
my $f = $ENV{TEST_NGINX_BODY_FILE};
my $size = -s $f;
my $u = "http://127.0.0.1:$TEST_NGINX_PORT/upload/c.bin";
my $first = `head -c 1000 '$f' | curl -sS -o /dev/null -w '%{http_code}' -X PUT --data-binary \@- -H 'Upload-Key: crc' -H 'Content-Range: bytes 0-999/$size' $u`;
is($first, '204', "a first range");
my $pid = open my $curl, '-|', "tail -c +1001 '$f' | curl -sS --limit-rate 4M -X PUT --data-binary \@- -H 'Upload-Key: crc' -H 'Content-Range: bytes 1000-@{[$size - 1]}/$size' -o /dev/null $u";
# past the first checkpoint of the second request (8 MiB), then the client dies
wait_until(sub { my ($st, $h) = http_request(method => 'HEAD', uri => '/upload/c.bin', headers => { 'Upload-Key' => 'crc' });
                 ($h->{'upload-offset'} // 0) >= 8 * 1048576 + 1000 }, 20, 0.2);
system("pkill -KILL -f 'Upload-Key: crc' >/dev/null 2>&1");
close $curl;
# the server has seen the end of the request once what it holds stays put
my ($st, $h, $prev) = (0, {}, -1);
wait_until(sub { ($st, $h) = http_request(method => 'HEAD', uri => '/upload/c.bin', headers => { 'Upload-Key' => 'crc' });
                 my $o = $h->{'upload-offset'} // -1; my $same = $o == $prev; $prev = $o;
                 $st == 204 && $same }, 10, 0.5);
my $offset = $h->{'upload-offset'};
cmp_ok($offset, '>', 8 * 1048576 + 1000, "more than the checkpoint held");
open my $sf, '<', main::state_file() or die; my $state = <$sf>; close $sf;
like($state, qr/"digest":\{"alg":"crc64nvme","ranges":\[\[0,$offset,\d+\]\]\}/,
     "one CRC covers all it holds, the first range's bytes too");
my $out = `tail -c +@{[$offset + 1]} '$f' | curl -sS -X PUT --data-binary \@- -H 'Upload-Key: crc' -H 'Content-Range: bytes $offset-@{[$size - 1]}/$size' $u`;
# the CRC of the same file sent in one plain PUT (TEST 1 checks that one
# against an independent CRC; a Perl CRC of 20 MiB would take a minute)
my ($want) = `curl -sS -T '$f' http://127.0.0.1:$TEST_NGINX_PORT/upload/plain.bin` =~ /"crc64nvme":"([0-9a-f]{16})"/;
ok($want, "the plain PUT's CRC");
like($out, qr/"crc64nvme":"$want"/, "the file's CRC-64/NVME");
is(sha256_file(store_path("c.bin")), $TEST_NGINX_BODY_SHA256, "byte for byte");
is(sha256_file(store_path("plain.bin")), $TEST_NGINX_BODY_SHA256, "the plain PUT's too");
--- timeout: 90
--- no_error_log
could not be used
bytes back
