# bgclient --digest (issue 13) against the module under each
# bigupload_digest: the file verified in the chosen algorithm (checked here
# with independent CRCs and Digest::SHA), the Repr-Digest bgclient declares,
# a server whose digest is not the client's (checked by the server when
# declared, else exit 7), --digest none, the rerun's "already uploaded" in
# the chosen algorithm, and a corrupted partial refused before it reaches
# its target.
use lib 't/lib';
use Test::BigUpload;
use MIME::Base64 ();
use Digest::SHA ();
use JSON::PP ();
use Test::BigUpload::Crc;

default_sections(config => <<'_EOC_');
location /s256/ { bigupload; bigupload_store $TEST_NGINX_STORE; }
location /s512/ { bigupload; bigupload_store $TEST_NGINX_STORE; bigupload_digest sha512; }
location /c32/  { bigupload; bigupload_store $TEST_NGINX_STORE; bigupload_digest crc32c; }
location /c64/  { bigupload; bigupload_store $TEST_NGINX_STORE; bigupload_digest crc64nvme; }
location /off/  { bigupload; bigupload_store $TEST_NGINX_STORE; bigupload_digest off; }
_EOC_

sub body_of { join '', map { chr(($_ * 31 + 7) % 256) } 0 .. $_[0] - 1 }

# the file's digest in each algorithm, hex
sub digests_of {
    my ($data) = @_;
    return (sha256 => Digest::SHA::sha256_hex($data),
            sha512 => Digest::SHA::sha512_hex($data),
            crc32c => crc32c_hex($data),
            crc64nvme => crc64nvme_hex($data));
}

# A file of these bytes under the temp directory, its mtime fixed (for the
# upload key).
sub file_of {
    my ($name, $data) = @_;
    my $f = "$main::TEST_NGINX_TMP/$name";
    open my $fh, '>:raw', $f or die "$f: $!";
    print $fh $data;
    close $fh;
    utime 1700000000, 1700000000, $f or die;
    return $f;
}

# bgclient's upload key of such a file (README "Resuming", smaller than 1 MiB)
sub key_of {
    my ($data) = @_;
    my $meta = "bigupload-key-v1 " . length($data) . " 1700000000000000000\n";
    return substr(Digest::SHA::sha256_hex($meta . $data . $data), 0, 32);
}

# Runs bgclient: (exit code, stdout, stderr).
sub bg {
    my @args = @_;
    my $out = "$main::TEST_NGINX_TMP/bg.out";
    my $err = "$main::TEST_NGINX_TMP/bg.err";
    my $cmd = join ' ', map { "'$_'" } "$main::TEST_NGINX_BUILD/bgclient", @args;
    system("$cmd > $out 2> $err");
    my $code = $? >> 8;
    local $/;
    open my $o, '<', $out or die; my $so = <$o>; close $o;
    open my $e, '<', $err or die; my $se = <$e>; close $e;
    return ($code, $so, $se);
}

sub url { "http://127.0.0.1:$main::TEST_NGINX_PORT/$_[0]" }

# the access log of the blocks that have one: method, uri, status, Repr-Digest
sub logged {
    open my $fh, '<', servroot() . '/logs/digest.log' or die "digest.log: $!";
    return map { [split ' '] } <$fh>;
}

run_tests();

__DATA__

=== TEST 1: each bigupload_digest with the same --digest: resumable and plain, the value is the file's, the JSON names it
--- check
my $data = main::body_of(300000);
my %d = main::digests_of($data);
my $f = main::file_of('one.bin', $data);
my %loc = (sha256 => 's256', sha512 => 's512', crc32c => 'c32', crc64nvme => 'c64');
for my $alg (sort keys %loc) {
    my $u = main::url($loc{$alg});
    my ($code, $out, $err) = main::bg('--digest', $alg, $u, $f, '/r.bin');
    is($code, 0, "$alg: resumable, exit 0");
    like($out, qr{\Auploaded \S+/one\.bin -> \Q$u\E/r\.bin \(293 KiB, [^,]+, $alg $d{$alg}\)\n\z}, "$alg: the line names it");
    is($err, '', "$alg: nothing on stderr");
    is(sha256_file(store_path('r.bin')), $d{sha256}, "$alg: stored byte for byte");
    unlink store_path('r.bin');

    ($code, $out) = main::bg('--digest', $alg, '--no-resume', '--json', $u, $f, '/p.bin');
    is($code, 0, "$alg: plain, exit 0");
    my $j = JSON::PP::decode_json($out);
    is($j->{digest}, $alg, "$alg: --json names the algorithm");
    is($j->{$alg}, $d{$alg}, "$alg: --json has the file's value");
    is($j->{"server_$alg"}, $d{$alg}, "$alg: and the server's");
    is($j->{verified}, $alg, "$alg: verified in it");
    ok(!exists $j->{sha256} || $alg eq 'sha256', "$alg: no sha256 member");
    unlink store_path('p.bin');
}
--- timeout: 60



=== TEST 2: the declared Repr-Digest: every request of a small file carries it, in --digest's algorithm
--- http_config
log_format digest '$request_method $uri $status $http_repr_digest';
access_log logs/digest.log digest;
--- check
my $data = main::body_of(300000);
my %d = main::digests_of($data);
my $f = main::file_of('decl.bin', $data);
my ($code) = main::bg('--digest', 'crc64nvme', '--chunk-size', '64k', main::url('c64'), $f, '/d.bin');
is($code, 0, 'uploaded in 64k pieces');
my @puts = grep { $_->[0] eq 'PUT' } main::logged();
is(scalar(@puts), 5, 'five ranges');
my $want = 'crc64nvme=:' . MIME::Base64::encode_base64(pack('H*', $d{crc64nvme}), '') . ':';
is(join(' ', map { $_->[3] } @puts), join(' ', ($want) x 5), 'each declared the file\'s crc64nvme');
is(join(' ', map { $_->[2] } @puts), '204 204 204 204 201', 'the last completed it');
my ($c2) = main::bg('--no-resume', main::url('c64'), $f, '/plain.bin');
my @last = (main::logged())[-1];
is($last[0][3], '-', 'a plain PUT declares nothing (its digest is known only once it is sent)');
--- timeout: 30



=== TEST 3: a server whose bigupload_digest is not --digest's: checked by the server when declared, exit 7 when not; --digest none
--- check
my $data = main::body_of(300000);
my %d = main::digests_of($data);
my $f = main::file_of('other.bin', $data);
# resumable: the sha256 was declared, the crc64nvme server checked it
my ($code, $out, $err) = main::bg('--json', main::url('c64'), $f, '/a.bin');
is($code, 0, 'declared: exit 0');
my $j = JSON::PP::decode_json($out);
is($j->{verified}, 'server', 'verified by the server');
is($j->{sha256}, $d{sha256}, 'the file\'s sha256');
ok(!exists $j->{server_sha256}, 'the server reported no sha256');
is(sha256_file(store_path('a.bin')), $d{sha256}, 'stored byte for byte');
($code, $out) = main::bg(main::url('s512'), $f, '/b.bin');
like($out, qr{, sha256 $d{sha256}, checked by the server\)\n\z}, 'the line says so');
# plain: nothing declared, nothing comparable
($code, $out, $err) = main::bg('--no-resume', main::url('c64'), $f, '/c.bin');
is($code, 7, 'undeclared: exit 7');
is($err, "bgclient: the server answered HTTP 201 Created with the file's crc64nvme, not its sha256,"
         . " so the upload cannot be verified (its bigupload_digest is not --digest's: use --digest crc64nvme)\n",
   'the message names both and the way out');
# bigupload_digest off: the declared digest is still checked
($code, $out) = main::bg('--json', main::url('off'), $f, '/d.bin');
is($code, 0, 'off, declared: exit 0');
is(JSON::PP::decode_json($out)->{verified}, 'server', 'checked by the server');
($code, $out, $err) = main::bg('--no-resume', main::url('off'), $f, '/e.bin');
is($code, 7, 'off, plain: exit 7');
like($err, qr/^bgclient: the server answered HTTP 201 Created but reported no sha256, so the upload cannot be verified/, 'nothing reported');
# --digest none: nothing hashed, nothing checked, and said so
($code, $out, $err) = main::bg('--digest', 'none', main::url('off'), $f, '/n.bin');
is($code, 0, 'none: exit 0');
like($out, qr{\(293 KiB, [^,]+, not verified: --digest none\)\n\z}, 'the line says it is not verified');
($code, $out) = main::bg('--digest', 'none', '--json', '--no-resume', main::url('c64'), $f, '/n2.bin');
$j = JSON::PP::decode_json($out);
is($j->{digest}, 'none', '--json: digest none');
is($j->{verified}, 'none', '--json: verified none');
is(sha256_file(store_path('n2.bin')), $d{sha256}, 'stored byte for byte');
--- timeout: 60



=== TEST 4: a rerun is "already uploaded" in the chosen algorithm; a server that knows another one leaves it to the PUT
--- check
my $data = main::body_of(200000);
my %d = main::digests_of($data);
my $f = main::file_of('again.bin', $data);
my $u = main::url('c64');
my ($code) = main::bg('--digest', 'crc64nvme', $u, $f, '/g.bin');
is($code, 0, 'uploaded');
my ($c2, $out, $err) = main::bg('--digest', 'crc64nvme', $u, $f, '/g.bin');
is($c2, 0, 'the rerun: exit 0');
like($out, qr{\Aalready uploaded \S+ -> \Q$u\E/g\.bin \(195 KiB, crc64nvme matches: $d{crc64nvme}\)\n\z}, 'already, crc64nvme');
($c2, $out, $err) = main::bg($u, $f, '/g.bin');
is($c2, 5, 'with sha256: the server cannot tell, the PUT is refused');
like($err, qr{^bgclient: remote file already exists: \Q$u\E/g\.bin \(use --overwrite to replace it\)$}m, 'exists');
($c2, $out) = main::bg('--status', $u, '/g.bin');
is($out, "done: 200000 (crc64nvme $d{crc64nvme})\n", '--status shows the digest the server has');
--- timeout: 30



=== TEST 5: a corrupted partial: the declared digest makes the server refuse it, nothing reaches the target, the rerun sends it whole
--- check
my $data = main::body_of(300000);
my %d = main::digests_of($data);
my $f = main::file_of('bad.bin', $data);
my $key = main::key_of($data);
for my $loc ('s256', 'c64') {
    my $alg = $loc eq 's256' ? 'sha256' : 'crc64nvme';
    # a first range of this upload, with a byte wrong
    my $bad = substr($data, 0, 100000);
    substr($bad, 500, 1) = chr(ord(substr($bad, 500, 1)) ^ 1);
    my ($st) = http_request(method => 'PUT', uri => "/$loc/x.bin", body => $bad,
        headers => { 'Upload-Key' => $key, 'Content-Range' => 'bytes 0-99999/300000' });
    is($st, 204, "$loc: a corrupted first range");
    my ($code, $out, $err) = main::bg('--digest', $alg, main::url($loc), $f, '/x.bin');
    is($code, 7, "$loc: exit 7");
    is($err, "bgclient: resuming at 97.7 KiB of 293 KiB\n"
             . "bgclient: integrity mismatch: the file the server received does not have this file's"
             . " $alg $d{$alg} (HTTP 409 file_digest_mismatch): nothing was stored at "
             . main::url($loc) . "/x.bin, and the server discarded what it held (run again to send"
             . " the file from the start)\n", "$loc: the message");
    ok(!-e store_path('x.bin'), "$loc: nothing at the target");
    my ($hs) = http_request(method => 'HEAD', uri => "/$loc/x.bin", headers => { 'Upload-Key' => $key });
    is($hs, 404, "$loc: the partial is gone");
    ($code, $out) = main::bg('--digest', $alg, main::url($loc), $f, '/x.bin');
    is($code, 0, "$loc: the rerun sends it from the start");
    is(sha256_file(store_path('x.bin')), $d{sha256}, "$loc: byte for byte");
    unlink store_path('x.bin');
}
--- temp_files_allowed
--- timeout: 60



=== TEST 6: a bad --digest is a usage error
--- check
my ($code, $out, $err) = main::bg('--digest', 'md5', main::url('s256'), '/etc/hostname', '/h');
is($code, 2, 'exit 2');
is($err, "bgclient: bad --digest 'md5': expected sha256, sha512, crc32c, crc64nvme or none\n", 'the message');
