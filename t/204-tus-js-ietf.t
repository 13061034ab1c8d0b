# tus-js-client (npm, run by node) speaking the IETF resumable-upload draft
# to the module: protocol 'ietf-draft-03' (interop 5) and 'ietf-draft-05'
# (interop 6) each upload a file, and resume one after the client was
# SIGKILLed in the middle of its append.  tus-js-client is the project's
# npm package (make npm), driven by t/node/ietf-upload.cjs.
use lib 't/lib';
use Test::BigUpload;

# The requests the server read in this block: [method, uri, status] (the
# log is the test file's: what earlier blocks logged is skipped).
our $seen = 0;
sub requests {
    open my $fh, '<', servroot() . '/logs/req.log' or die "req.log: $!";
    my @all = map { [split ' '] } <$fh>;
    my @mine = @all[$seen .. $#all];
    $seen = @all;
    return @mine;
}

default_sections(config => <<'_EOC_', http_config => <<'_EOH_');
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
}
_EOC_
log_format req '$request_method $uri $status';
access_log logs/req.log req;
_EOH_

run_tests();

__DATA__

=== TEST 1: ietf-draft-03 and ietf-draft-05 upload a file: a creation, then one PATCH
--- request_body_gen: 5m 41
--- exec
for p in ietf-draft-03 ietf-draft-05; do
    node t/node/ietf-upload.cjs $p http://127.0.0.1:$TEST_NGINX_PORT/upload/$p.bin $TEST_NGINX_BODY_FILE $TEST_NGINX_TMP/$p.url || echo "$p failed"
done
--- timeout: 120
--- exit_code: 0
--- stdout_like: \Auploaded 5242880 bytes to http://127\.0\.0\.1:\d+/upload/\.bigupload/[0-9a-f]{32}\nuploaded 5242880 bytes to http://127\.0\.0\.1:\d+/upload/\.bigupload/[0-9a-f]{32}\n\z
--- stored_file
ietf-draft-03.bin
ietf-draft-05.bin
--- stored_sha256
BODY
BODY
--- check_tests: 1
--- check
is(join(' ', map { "$_->[0]/$_->[2]" } main::requests()), "POST/201 PATCH/201 POST/201 PATCH/201",
   "each: a creation (Upload-Complete: ?0), then the whole file in one append");
--- temp_files_allowed



=== TEST 2: SIGKILLed mid-append, the next run resumes from the offset HEAD tells, byte-identical
--- request_body_gen: 48m 42
--- exec
for p in ietf-draft-03 ietf-draft-05; do
    node t/node/ietf-upload.cjs $p http://127.0.0.1:$TEST_NGINX_PORT/upload/k-$p.bin $TEST_NGINX_BODY_FILE $TEST_NGINX_TMP/k-$p.url 0.3
    echo "killed: $?"
    node t/node/ietf-upload.cjs $p http://127.0.0.1:$TEST_NGINX_PORT/upload/k-$p.bin $TEST_NGINX_BODY_FILE $TEST_NGINX_TMP/k-$p.url || echo "$p failed"
done
--- timeout: 180
--- exit_code: 0
--- stdout_like: \A(killed: 137\nresuming http://127\.0\.0\.1:\d+/upload/\.bigupload/[0-9a-f]{32}\nuploaded 50331648 bytes to http://127\.0\.0\.1:\d+/upload/\.bigupload/[0-9a-f]{32}\n){2}\z
--- stored_file
k-ietf-draft-03.bin
k-ietf-draft-05.bin
--- stored_sha256
BODY
BODY
--- check_tests: 3
--- check
my @r = main::requests();
is(join(' ', map { $_->[0] } @r), "POST PATCH HEAD PATCH POST PATCH HEAD PATCH", "create, append (killed), HEAD, append");
is(join(' ', map { $_->[2] } grep { $_->[0] eq 'HEAD' } @r), "204 204", "HEAD found the upload resource");
is($r[3][2], 201, "the resuming append completed the upload");
--- temp_files_allowed
