# bgclient --protocol tus against bigupload's own tus front-end
# (location /upload/ { bigupload; }): the file lands at <remote_path> (the
# creation POST goes to its directory, the name travels as filename
# metadata), checked end to end; a SIGKILL and the rerun resume from the
# kept upload URL; -j 4 goes as four partial uploads and a final
# concatenation, with Upload-Checksum on every PATCH when offered; auto
# keeps the native dialect there.  Skipped until the front-end
# (ngx_module/ngx_http_bigupload_tus.cpp) is in the tree; the same client
# against @tus/server is t/210-client-tus.t.
use lib 't/lib';
use Test::BigUpload;
use JSON::PP;

our $TUS_FRONT_END = -e 'ngx_module/ngx_http_bigupload_tus.cpp';

# The tus requests the access log saw: "METHOD uri status Upload-Concat"
sub tus_requests {
    open my $fh, '<', servroot() . '/logs/tus.log' or return ();
    return map { chomp; $_ } <$fh>;
}

default_sections(
    config => <<'_EOC_',
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
    access_log logs/tus.log tus;
}
_EOC_
    http_config => <<'_EOC_',
log_format tus '$request_method $uri $status $http_upload_concat';
_EOC_
    skip_if => '!$main::TUS_FRONT_END',
    skip_reason => 'no tus front-end in the module yet (ngx_module/ngx_http_bigupload_tus.cpp)',
    temp_files_allowed => '',
);

run_tests();

__DATA__

=== TEST 1: --protocol tus: stored at <remote_path>, the sha256 confirmed, no state left
--- request_body_gen: 6m 61
--- exec
XDG_STATE_HOME=$TEST_NGINX_TMP/state-1 $TEST_NGINX_BUILD/bgclient --protocol tus --json \
    http://127.0.0.1:$TEST_NGINX_PORT/upload $TEST_NGINX_BODY_FILE /isos/big.iso
echo "state: $(ls $TEST_NGINX_TMP/state-1/bgclient 2>/dev/null | wc -l)"
--- exit_code: 0
--- check_tests: 5
--- check
my ($json, $state) = split /\n/, $exec_stdout;
my $j = JSON::PP->new->decode($json);
ok($j->{ok}, 'ok');
is($j->{protocol}, 'tus', 'over tus');
like($j->{verified}, qr/^(sha256|checksum)$/, "confirmed by the server ($j->{verified})");
is($state, 'state: 0', 'no state file left');
like(join(', ', tus_requests()), qr{^OPTIONS /upload/isos/ 20\d -, POST /upload/isos/ 201 -, PATCH /upload/\S+ 204 -}, 'the requests');
--- stored_file: isos/big.iso
--- stored_sha256: BODY



=== TEST 2: SIGKILL mid-upload and the rerun: resumed from the kept upload URL
--- request_body_gen: 24m 62
--- exec
# the module offers the checksum extension: a PATCH with Upload-Checksum is
# all or nothing, so the pieces are 4 MiB (what the kill loses at most)
export XDG_STATE_HOME=$TEST_NGINX_TMP/state-2; B="$TEST_NGINX_BUILD/bgclient --protocol tus --chunk-size 4M"
U=http://127.0.0.1:$TEST_NGINX_PORT/upload
$B --limit-rate 4M $U $TEST_NGINX_BODY_FILE /k.bin & pid=$!
sleep 2; kill -9 $pid; wait $pid 2>/dev/null; echo "killed: $?"
$B $U $TEST_NGINX_BODY_FILE /k.bin
--- timeout: 60
--- exit_code: 0
--- stdout_like: \Akilled: 137\nuploaded \S+ -> \S+/upload/k\.bin over tus \(24\.0 MiB, .*sha256 $TEST_NGINX_BODY_SHA256\)\n\z
--- stderr_like: ^bgclient: resuming at [0-9.]+ MiB of 24\.0 MiB$
--- stored_file: k.bin
--- stored_sha256: BODY



=== TEST 3: -j 4: four partial uploads at once, one final concatenation
--- request_body_gen: 16m 63
--- exec
XDG_STATE_HOME=$TEST_NGINX_TMP/state-3 $TEST_NGINX_BUILD/bgclient --protocol tus -j 4 --json \
    http://127.0.0.1:$TEST_NGINX_PORT/upload $TEST_NGINX_BODY_FILE /j/four.bin
--- timeout: 60
--- exit_code: 0
--- check_tests: 3
--- check
my $j = JSON::PP->new->decode($exec_stdout);
ok($j->{ok}, 'ok');
my @r = tus_requests();
is(scalar(grep { m{^POST \S+ 201 partial$} } @r), 4, 'four partial uploads');
is(scalar(grep { m{^POST /upload/j/ 201 final;} } @r), 1, 'one final concatenation');
--- stored_file: j/four.bin
--- stored_sha256: BODY



=== TEST 4: --protocol auto where bigupload serves both: its native dialect
--- request_body_gen: 1m 64
--- exec
$TEST_NGINX_BUILD/bgclient -v --protocol auto http://127.0.0.1:$TEST_NGINX_PORT/upload $TEST_NGINX_BODY_FILE /auto.bin 2>&1 | grep '^\* bgclient: --protocol'
--- exit_code: 0
--- stdout_like: \A\* bgclient: --protocol auto: native \(the server offers tus, and its native dialect answers\)\n\z
--- stored_file: auto.bin
--- stored_sha256: BODY
