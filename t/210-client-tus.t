# bgclient --protocol tus|auto against a third-party tus 1.0 server:
# @tus/server from npm (t/node/tus-server.mjs, run by node on
# $TEST_NGINX_PORT2; it offers creation, termination and expiration, no
# checksum, no concatenation; the script's --checksum adds the checksum
# extension in front of it).  The creation POST goes to the remote path's
# directory with the name as filename metadata; the upload URL is kept in
# $XDG_STATE_HOME/bgclient/ so that a killed run's rerun resumes from HEAD,
# and removed once the upload is complete.  Also: auto picks the native
# dialect where bigupload answers it, the option's usage errors, and a
# server that is no tus server.  (Against bigupload's own tus front-end:
# t/212-client-tus-module.t.)
use lib 't/lib';
use Test::BigUpload;
use JSON::PP;

# The request log of @tus/server: [method, url, status, offset, length, metadata]
sub tus_log {
    open my $fh, '<', tmp_dir() . "/tus.log" or return ();
    return map { chomp; [split / /, $_, 6] } <$fh>;
}

# The upload's bytes in @tus/server's store (named by its id, which ends the Location).
sub tus_stored {
    my ($location) = @_;
    my ($id) = $location =~ m{/([0-9a-f]+)$} or return 'no id';
    my $f = tmp_dir() . "/tus-store/$id";
    return -f $f ? sha256_file($f) : 'absent';
}

default_sections(config => <<'_EOC_');
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
}
location /static/ {
    root $TEST_NGINX_SERVROOT/html;
}
_EOC_

run_tests();

__DATA__

=== TEST 1: --protocol tus: OPTIONS, the POST to the remote path's directory with the name, one PATCH; Repr-Digest checked
--- request_body_gen: 5m 31
--- exec
. t/lib/tus.sh; tus_start --digest
$TEST_NGINX_BUILD/bgclient --protocol tus --json $TUS_URL $TEST_NGINX_BODY_FILE /isos/big.iso
echo "exit: $?"; tus_state_files
--- exit_code: 0
--- check_tests: 12
--- check
my ($json, @rest) = split /\n/, $exec_stdout;
my $j = JSON::PP->new->decode($json);
ok($j->{ok}, 'ok');
is($j->{protocol}, 'tus', 'protocol');
is($j->{verified}, 'sha256', "verified by the server's Repr-Digest");
is($j->{sha256}, $TEST_NGINX_BODY_SHA256, 'sha256 of the file');
is($j->{server_sha256}, $TEST_NGINX_BODY_SHA256, 'the server agrees');
is($j->{url}, "http://127.0.0.1:$TEST_NGINX_PORT2/upload/isos/big.iso", 'url: the endpoint and the remote path');
like($j->{location}, qr{^http://127\.0\.0\.1:$TEST_NGINX_PORT2/upload/[0-9a-f]{32}$}, 'location: the upload URL the server chose');
is(tus_stored($j->{location}), $TEST_NGINX_BODY_SHA256, "the server's bytes are the file's");
is("@rest", "exit: 0 state: none", 'the finished upload left no state file');
my @log = map { "$_->[0] $_->[1] $_->[2]" } tus_log();
(my $path = $j->{location}) =~ s{^http://[^/]+}{};
is(join(', ', @log), "OPTIONS /upload/isos/ 204, POST /upload/isos/ 201, PATCH $path 204", 'the requests');
my ($post) = grep { $_->[0] eq 'POST' } tus_log();
is($post->[5], 'filename YmlnLmlzbw==', 'Upload-Metadata: filename big.iso');
is((grep { $_->[0] eq 'PATCH' } tus_log())[0][4], 5242880, 'one PATCH of the whole file');
--- stderr_like: \A\z



=== TEST 2: a server without Repr-Digest: uploaded, unverified, said on stderr
--- request_body_gen: 1m 32
--- exec
. t/lib/tus.sh; tus_start
$TEST_NGINX_BUILD/bgclient --protocol tus $TUS_URL $TEST_NGINX_BODY_FILE /x.bin
--- exit_code: 0
--- stdout_like: \Auploaded \S+ -> http://127\.0\.0\.1:\d+/upload/x\.bin over tus \(1\.00 MiB, .*, sha256 $TEST_NGINX_BODY_SHA256\)\n\z
--- stderr_like: \Abgclient: warning: the tus server sent no digest of the file and offers no checksum extension: it holds all 1048576 bytes, but could not confirm them\n\z



=== TEST 3: SIGKILL mid-upload: the state file holds the upload URL; the rerun resumes from HEAD and removes it
--- request_body_gen: 24m 33
--- exec
. t/lib/tus.sh; tus_start --digest
B="$TEST_NGINX_BUILD/bgclient --protocol tus"
$B --limit-rate 4M $TUS_URL $TEST_NGINX_BODY_FILE /k.bin & pid=$!
sleep 2; kill -9 $pid; wait $pid 2>/dev/null; echo "killed: $?"
tus_state_files; grep -h '^url ' $XDG_STATE_HOME/bgclient/*
$B --json $TUS_URL $TEST_NGINX_BODY_FILE /k.bin; echo "exit: $?"; tus_state_files
--- timeout: 60
--- exit_code: 0
--- stderr_like: \Abgclient: resuming at [0-9.]+ MiB of 24\.0 MiB\n\z
--- check_tests: 8
--- check
my @out = split /\n/, $exec_stdout;
is($out[0], 'killed: 137', 'killed');
like($out[1], qr/^state: tus-[0-9a-f]{32} $/, 'one state file');
my ($url) = $out[2] =~ m{^url (http://\S+)$};
ok($url, "it holds the upload URL: $out[2]");
my $j = JSON::PP->new->decode($out[3]);
is($j->{location}, $url, 'the rerun continued that upload');
ok($j->{resumed_at} > 0 && $j->{resumed_at} < 25165824, "resumed at $j->{resumed_at}");
is(tus_stored($url), $TEST_NGINX_BODY_SHA256, "the server's bytes are the file's");
is("$out[4] $out[5]", 'exit: 0 state: none', 'done, the state file removed');
my @patch = grep { $_->[0] eq 'PATCH' && $_->[2] == 204 } tus_log();
is($patch[-1][3], $j->{resumed_at}, 'the last PATCH started at the offset HEAD reported');



=== TEST 4: the server lost the upload between the runs (expired): a new one, said so
--- request_body_gen: 16m 34
--- exec
. t/lib/tus.sh; tus_start --digest
B="$TEST_NGINX_BUILD/bgclient --protocol tus"
$B --limit-rate 4M $TUS_URL $TEST_NGINX_BODY_FILE /e.bin & pid=$!
sleep 1.5; kill -9 $pid; wait $pid 2>/dev/null
sleep 0.3; rm -f $TUS_STORE/*
$B $TUS_URL $TEST_NGINX_BODY_FILE /e.bin; echo "exit: $?"; tus_state_files
--- timeout: 60
--- exit_code: 0
--- stdout_like: \Auploaded \S+ -> \S+/upload/e\.bin over tus \(16\.0 MiB, .*sha256 $TEST_NGINX_BODY_SHA256\)\nexit: 0\nstate: none\n\z
--- stderr_like: \Abgclient: the server no longer has the upload at http://127\.0\.0\.1:\d+/upload/[0-9a-f]{32} \(HTTP 404\): starting a new one\n\z



=== TEST 5: --restart terminates the earlier upload (DELETE) and starts over
--- request_body_gen: 16m 35
--- exec
. t/lib/tus.sh; tus_start --digest
B="$TEST_NGINX_BUILD/bgclient --protocol tus"
$B --limit-rate 4M $TUS_URL $TEST_NGINX_BODY_FILE /r.bin & pid=$!
sleep 1.5; kill -9 $pid; wait $pid 2>/dev/null
$B --restart --json $TUS_URL $TEST_NGINX_BODY_FILE /r.bin; echo "exit: $?"
--- timeout: 60
--- exit_code: 0
--- stderr_like: \Abgclient: discarded the tus upload at http://127\.0\.0\.1:\d+/upload/[0-9a-f]{32}\n\z
--- check_tests: 5
--- check
my ($json, $exit) = split /\n/, $exec_stdout;
my $j = JSON::PP->new->decode($json);
is($exit, 'exit: 0', 'exit 0');
is($j->{resumed_at}, 0, 'from the start');
my @posts = grep { $_->[0] eq 'POST' } tus_log();
my @deletes = grep { $_->[0] eq 'DELETE' } tus_log();
is(scalar(@posts), 2, 'two uploads created');
is(join(' ', map { "$_->[1] $_->[2]" } @deletes), ($exec_stderr =~ m{ at http://[^/]+(\S+)})[0] . ' 204',
   'the first one terminated');
is(tus_stored($j->{location}), $TEST_NGINX_BODY_SHA256, "the new upload's bytes are the file's");



=== TEST 6: -j 4 where the server offers no concatenation: one connection, said so
--- request_body_gen: 3m 36
--- exec
. t/lib/tus.sh; tus_start --digest
$TEST_NGINX_BUILD/bgclient --protocol tus -j 4 $TUS_URL $TEST_NGINX_BODY_FILE /j.bin
--- exit_code: 0
--- stdout_like: \Auploaded .* over tus \(3\.00 MiB, .*sha256 $TEST_NGINX_BODY_SHA256\)\n\z
--- stderr_like: \Abgclient: the tus server at http://127\.0\.0\.1:\d+/upload/ does not offer concatenation: sending over one connection\n\z



=== TEST 7: Tus-Max-Size below the file's size: refused before anything is sent, exit 5
--- request_body_gen: 2m 37
--- exec
. t/lib/tus.sh; tus_start --max-size 1000000
$TEST_NGINX_BUILD/bgclient --protocol tus $TUS_URL $TEST_NGINX_BODY_FILE /big.bin
echo "exit: $?"; cut -d' ' -f1 $TUS_LOG
--- exit_code: 0
--- stdout
exit: 5
OPTIONS
--- stderr_like: \Abgclient: the file \(2097152 bytes\) is larger than the server's Tus-Max-Size \(1000000 bytes\) at http://127\.0\.0\.1:\d+/upload/\n\z



=== TEST 8: --protocol auto where the server offers tus and has no native dialect: tus
--- request_body_gen: 1m 38
--- exec
. t/lib/tus.sh; tus_start --digest
$TEST_NGINX_BUILD/bgclient -v --protocol auto $TUS_URL $TEST_NGINX_BODY_FILE /a/auto.bin 2>&1 | grep -E '^(\* bgclient: --protocol|uploaded)'
--- exit_code: 0
--- stdout_like: \A\* bgclient: --protocol auto: tus \(the server offers tus\)\nuploaded \S+ -> \S+/upload/a/auto\.bin over tus \(1\.00 MiB, .*sha256 $TEST_NGINX_BODY_SHA256\)\n\z



=== TEST 9: --protocol auto against bigupload without a tus front-end: the native dialect
--- request_body_gen: 1m 39
--- config
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
    bigupload_protocols native ietf form;
}
--- exec
$TEST_NGINX_BUILD/bgclient -v --protocol auto http://127.0.0.1:$TEST_NGINX_PORT/upload $TEST_NGINX_BODY_FILE /n/auto.bin 2>&1 | grep -E '^(\* bgclient: --protocol|uploaded)'
--- exit_code: 0
--- stdout_like: \A\* bgclient: --protocol auto: native \(no tus offered\)\nuploaded \S+ -> http://127\.0\.0\.1:\d+/upload/n/auto\.bin \(1\.00 MiB, .*sha256 $TEST_NGINX_BODY_SHA256\)\n\z
--- stored_file: n/auto.bin
--- stored_sha256: BODY
--- temp_files_allowed



=== TEST 10: --protocol tus where no tus server is (a static location): exit 5, nothing sent but OPTIONS
--- request_body_gen: 1m 40
--- exec
$TEST_NGINX_BUILD/bgclient --protocol tus http://127.0.0.1:$TEST_NGINX_PORT/static $TEST_NGINX_BODY_FILE /x.bin
--- exit_code: 5
--- stdout:
--- stderr_like: \Abgclient: http://127\.0\.0\.1:\d+/static/ does not speak tus 1\.0\.0: OPTIONS answered without Tus-Version\n\z



=== TEST 11: the checksum extension offered: Upload-Checksum on every PATCH; a 460 is retried from HEAD
--- request_body_gen: 3m 41
--- exec
. t/lib/tus.sh; tus_start --checksum --refuse-checksum 2
$TEST_NGINX_BUILD/bgclient --protocol tus --json --chunk-size 1M $TUS_URL $TEST_NGINX_BODY_FILE /c.bin
--- exit_code: 0
--- stderr_like: \Abgclient: the server found the checksum of the bytes sent wrong \(HTTP 460 [^)]*, to PATCH http://127\.0\.0\.1:\d+/upload/[0-9a-f]{32}\): it discarded them; retrying in [0-9.]+ s \(attempt 2 of 4\)\nbgclient: resuming at 1\.00 MiB of 3\.00 MiB\n\z
--- check_tests: 5
--- check
my $j = JSON::PP->new->decode($exec_stdout);
ok($j->{ok}, 'ok');
is($j->{verified}, 'checksum', 'confirmed by Upload-Checksum (no Repr-Digest here)');
is($j->{attempts}, 2, 'two attempts');
is(join(' ', map { "$_->[2]:$_->[3]" } grep { $_->[0] eq 'PATCH' } tus_log()),
   '204:0 460:1048576 204:1048576 204:2097152', 'PATCHes of 1 MiB, the refused one sent again');
is(tus_stored($j->{location}), $TEST_NGINX_BODY_SHA256, "the server's bytes are the file's");



=== TEST 12: usage: --protocol's values, and what tus cannot be combined with (exit 2, nothing sent)
--- exec
B=$TEST_NGINX_BUILD/bgclient; U=http://127.0.0.1:$TEST_NGINX_PORT/upload
echo x > $TEST_NGINX_TMP/one.txt
$B --protocol ftp $U $TEST_NGINX_TMP/one.txt /a; echo "exit: $?"
echo x | $B --protocol tus $U - /a; echo "exit: $?"
$B --protocol tus --no-resume $U $TEST_NGINX_TMP/one.txt /a; echo "exit: $?"
$B --protocol tus --status $U /a; echo "exit: $?"
$B --protocol tus --ietf-version 5 $U $TEST_NGINX_TMP/one.txt /a; echo "exit: $?"
--- exit_code: 0
--- stdout
exit: 2
exit: 2
exit: 2
exit: 2
exit: 2
--- stderr
bgclient: bad --protocol 'ftp': expected native, tus, ietf or auto
bgclient: --protocol tus cannot be combined with standard input (give a file: tus uploads are resumed from it)
bgclient: --protocol tus cannot be combined with --no-resume (a tus upload is always resumable)
bgclient: --protocol tus cannot be combined with --status (it reports what the native dialect holds)
bgclient: --ietf-version needs --protocol ietf
--- not_stored: a
