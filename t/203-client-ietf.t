# bgclient --protocol ietf against the module: every interop version
# uploads; a first request broken mid-body (its worker killed) is resumed at
# the 104's Location with HEAD and PATCHes no larger than the server's
# max-append-size; the request that completes asks for the stored file's
# digest in --digest's algorithm (Want-Repr-Digest), which bgclient checks;
# the option's usage errors.
use lib 't/lib';
use Test::BigUpload;

# The requests the server read: [method, uri, status, request_length,
# Want-Repr-Digest ("-": none)].
sub requests {
    open my $fh, '<', servroot() . '/logs/req.log' or die "req.log: $!";
    return map { [split ' '] } <$fh>;
}

default_sections(config => <<'_EOC_', http_config => <<'_EOH_');
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
    bigupload_max_append_size 4m;
}
_EOC_
log_format req '$request_method $uri $status $request_length $http_want_repr_digest';
access_log logs/req.log req;
_EOH_

run_tests();

__DATA__

=== TEST 1: every interop version uploads a file, its sha256 verified
--- request_body_gen: 3m 31
--- exec
for v in 3 4 5 6 7 8; do
    $TEST_NGINX_BUILD/bgclient --protocol ietf --ietf-version $v http://127.0.0.1:$TEST_NGINX_PORT/upload $TEST_NGINX_BODY_FILE /v$v.bin || echo "v$v failed: $?"
done
--- exit_code: 0
--- stdout_like: \A(uploaded \S+ -> http://127\.0\.0\.1:\d+/upload/v\d\.bin \(3\.00 MiB, [^)]*sha256 $TEST_NGINX_BODY_SHA256\)\n){6}\z
--- stored_file
v3.bin
v8.bin
--- stored_sha256
BODY
BODY
--- check_tests: 3
--- check
my @r = main::requests();
is(scalar(@r), 6, "one request per upload");
is(join(' ', map { "$_->[0]/$_->[2]" } @r), join(' ', ("PUT/201") x 6), "each a creation that completed");
is(join(' ', map { $_->[4] } @r), join(' ', ("sha-256=10") x 6), "each asked for the file's sha-256");



=== TEST 2: the first request broken mid-body: resumed from the 104's Location, in appends of at most max-append-size
--- request_body_gen: 32m 32
--- exec
$TEST_NGINX_BUILD/bgclient --protocol ietf --limit-rate 8M --retries 3 http://127.0.0.1:$TEST_NGINX_PORT/upload $TEST_NGINX_BODY_FILE /b.bin & pid=$!
sleep 1.5
kill -9 $(pgrep -P $(cat $TEST_NGINX_SERVROOT/logs/nginx.pid))
wait $pid
--- timeout: 90
--- exit_code: 0
--- stdout_like: \Auploaded .*/b\.bin \(32\.0 MiB, .*sha256 $TEST_NGINX_BODY_SHA256\)\n\z
--- stderr_like: \Abgclient: upload to http://127\.0\.0\.1:\d+/upload/b\.bin failed: [^\n]+; retrying in [0-9.]+ s \(attempt 2 of 4\)\nbgclient: resuming at [0-9.]+ [KM]i?B of 32\.0 MiB\n\z
--- stored_file: b.bin
--- stored_sha256: BODY
--- check_tests: 6
--- check
my @r = grep { $_->[0] ne 'PUT' || $_->[1] eq '/upload/b.bin' } main::requests();
my @patch = grep { $_->[0] eq 'PATCH' } @r;
ok((grep { $_->[0] eq 'HEAD' && $_->[1] =~ m{^/upload/\.bigupload/[0-9a-f]{32}$} && $_->[2] == 204 } @r),
   "HEAD at the upload resource the 104 named");
cmp_ok(scalar(@patch), '>=', 2, "appended in several PATCHes (" . scalar(@patch) . ")");
ok(!(grep { $_->[3] > 4 * 1048576 + 1024 } @patch), "none larger than max-append-size 4m (and its headers)");
is($patch[-1][2], 201, "the last one completed the upload");
ok(!(grep { $_->[0] eq 'PUT' && $_->[2] =~ /^2/ } @r), "no second creation");
is(join(' ', map { $_->[4] } @patch), join(' ', ('-') x $#patch, 'sha-256=10'),
   "only the completing append asked for the file's digest");
--- temp_files_allowed



=== TEST 3: usage errors
--- exec
B=$TEST_NGINX_BUILD/bgclient; U=http://127.0.0.1:$TEST_NGINX_PORT/upload
$B --protocol ietf --ietf-version 9 $U /etc/hostname /x; echo "exit $?"
$B --ietf-version 6 $U /etc/hostname /x; echo "exit $?"
$B --protocol ietf -j 2 $U /etc/hostname /x; echo "exit $?"
$B --protocol tusx $U /etc/hostname /x; echo "exit $?"
--- exit_code: 0
--- stdout_like: \Aexit 2\nexit 2\nexit 2\nexit 2\n\z
--- stderr_like: \Abgclient: bad --ietf-version '9': expected an interop version from 3 to 8\nbgclient: --ietf-version needs --protocol ietf\nbgclient: --protocol ietf uploads a file over one connection at a time .*\nbgclient: bad --protocol 'tusx': expected native, tus, ietf or auto\n\z



=== TEST 4: --digest in another algorithm than the server keeps: asked for, and checked
The location keeps a sha256; bgclient asks for the crc32c or crc64nvme it
checks with, and the answer's Repr-Digest carries it (without the ask, the
upload could not be verified: exit 7, as with the native protocol).
--- request_body_gen: 1m 33
--- exec
B=$TEST_NGINX_BUILD/bgclient; U=http://127.0.0.1:$TEST_NGINX_PORT/upload
$B --protocol ietf --digest crc32c $U $TEST_NGINX_BODY_FILE /c32.bin || echo "crc32c: $?"
$B --protocol ietf --digest crc64nvme $U $TEST_NGINX_BODY_FILE /c64.bin || echo "crc64nvme: $?"
$B --protocol ietf --digest none $U $TEST_NGINX_BODY_FILE /none.bin || echo "none: $?"
--- exit_code: 0
--- stored_file
c32.bin
c64.bin
none.bin
--- stored_sha256
BODY
BODY
BODY
--- check_tests: 2
--- check
use Test::BigUpload::Crc;
my $data = do { local $/; open my $fh, "<:raw", $ENV{TEST_NGINX_BODY_FILE} or die "body: $!"; <$fh> };
my ($c32, $c64) = (crc32c_hex($data), crc64nvme_hex($data));
my $line = sub { "uploaded \\S+ -> \\S+/$_[0]\\.bin \\(1\\.00 MiB, [^)]*$_[1]\\)\n" };
my $want = join '', $line->('c32', "crc32c $c32"), $line->('c64', "crc64nvme $c64"),
                    $line->('none', 'not verified: --digest none');
like($main::exec_stdout, qr/\A$want\z/,
     "each verified in its algorithm, by the value the server computed");
my @r = grep { $_->[1] =~ m{^/upload/(c32|c64|none)\.bin$} } main::requests();
is(join(' ', map { $_->[4] } @r), 'crc32c=10 crc64nvme=10 -',
   "asked for crc32c, then crc64nvme, then nothing");
