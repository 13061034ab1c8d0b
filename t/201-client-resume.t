# bgclient's resumable uploads end to end, against the module: SIGKILL at
# several offsets and the rerun continues (identical bytes, at most one
# chunk re-sent in total), Ctrl-C and rerun, a worker killed mid-upload
# (retried from the server's state, not from zero), -j 4 (also resumed
# with -j 2 after a kill), a different or changed file to the same path
# (409, exit 5, the partial intact), --restart, --status, and standard
# input staying one plain PUT.
use lib 't/lib';
use Test::BigUpload;

# Bytes the server read for one remote path, from the "bytes" access log
# (the request line, headers and body: $request_length).
sub bytes_received {
    my ($uri) = @_;
    open my $fh, '<', servroot() . '/logs/bytes.log' or die "bytes.log: $!";
    my ($n, $puts) = (0, 0);
    while (<$fh>) {
        my ($method, $u, $status, $len) = split ' ';
        next unless $u eq $uri;
        $n += $len;
        $puts++ if $method eq 'PUT';
    }
    return wantarray ? ($n, $puts) : $n;
}

# Partial uploads (<id>.data, <id>.state) under the store's reserved
# .bigupload/: none may be left once an upload completed.  (The directory itself may stay, which
# the harness's automatic temp-file check would count: hence the blocks'
# temp_files_allowed, and this stricter check instead.)
sub partial_files {
    my @f;
    my $dir = store_path('.bigupload');
    return @f unless -d $dir;
    opendir my $dh, $dir or die "$dir: $!";
    return grep { /\.(data|state)$/ } readdir $dh;
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

=== TEST 1: SIGKILL at five offsets: each rerun resumes, the last completes with identical bytes
--- http_config
log_format bytes '$request_method $uri $status $request_length';
access_log logs/bytes.log bytes;
--- request_body_gen: 40m 21
--- exec
. t/lib/settle.sh; B=$TEST_NGINX_BUILD/bgclient; U=http://127.0.0.1:$TEST_NGINX_PORT/upload
for d in 0.5 0.7 0.9 1.1 1.3; do
    $B --limit-rate 4M $U $TEST_NGINX_BODY_FILE /k/40m.bin & pid=$!
    sleep $d; kill -9 $pid; wait $pid 2>/dev/null; echo "killed: $?"
    settled_status $B $U /k/40m.bin
done
$B $U $TEST_NGINX_BODY_FILE /k/40m.bin
--- timeout: 120
--- exit_code: 0
--- check_tests: 7
--- check
my @held = $exec_stdout =~ /^partial: (\d+) of 41943040 \(0-\d+\)$/mg;
is(scalar(() = $exec_stdout =~ /^killed: 137$/mg), 5, 'five runs killed with SIGKILL');
is(scalar(@held), 5, 'each left a partial upload') or diag($exec_stdout);
ok((!grep { $held[$_] < $held[$_ - 1] } 1 .. $#held) && $held[-1] > $held[0],
   "it never shrank and grew over the runs: @held");
like($exec_stdout, qr/^uploaded \S+ -> \S+\/k\/40m\.bin \(40\.0 MiB, .*sha256 $TEST_NGINX_BODY_SHA256\)$/m,
     'the last run completes, sha256 verified');
my @resumed = $exec_stderr =~ /^bgclient: resuming at ([0-9.]+ [KMG]?i?B) of 40\.0 MiB$/mg;
is(scalar(@resumed), 5, "every rerun says where it resumes: @resumed");
my $got = bytes_received('/upload/k/40m.bin');
# the whole file once, at most one chunk (the 8 MiB between two records of
# the server's state) again, and the requests' headers
ok($got <= 41943040 + 8 * 1048576 + 11 * 1024, "the server read $got bytes for a 41943040-byte file");
is(join(' ', partial_files()), '', 'no partial upload left behind');
--- stored_file: k/40m.bin
--- stored_sha256: BODY
--- temp_files_allowed



=== TEST 2: Ctrl-C keeps what the server took; the same command continues it
--- request_body_gen: 24m 22
--- exec
. t/lib/settle.sh; B=$TEST_NGINX_BUILD/bgclient; U=http://127.0.0.1:$TEST_NGINX_PORT/upload
$B --limit-rate 8M $U $TEST_NGINX_BODY_FILE /int.bin & pid=$!
sleep 1; kill -INT $pid; wait $pid 2>/dev/null; echo "SIGINT: $?"
settled_status $B $U /int.bin | sed -E 's/^partial: [0-9]+ of/partial: N of/; s/\(0-[0-9]+\)/(0-N)/'
$B $U $TEST_NGINX_BODY_FILE /int.bin
--- exit_code: 0
--- stdout_like: \ASIGINT: 130\npartial: N of 25165824 \(0-N\)\nuploaded .*/int\.bin \(24\.0 MiB, .*sha256 $TEST_NGINX_BODY_SHA256\)\n\z
--- stderr_like: \Abgclient: interrupted\nbgclient: resuming at [0-9.]+ MiB of 24\.0 MiB\n\z
--- stored_file: int.bin
--- stored_sha256: BODY
--- check_tests: 1
--- check
is(join(' ', partial_files()), '', 'no partial upload left behind');
--- temp_files_allowed



=== TEST 3: a worker killed mid-upload: retried from what the server holds, not from zero
--- http_config
log_format bytes '$request_method $uri $status $request_length';
access_log logs/bytes.log bytes;
--- request_body_gen: 32m 23
--- exec
$TEST_NGINX_BUILD/bgclient --limit-rate 8M --retries 3 http://127.0.0.1:$TEST_NGINX_PORT/upload $TEST_NGINX_BODY_FILE /w.bin & pid=$!
sleep 1.5
kill -9 $(pgrep -P $(cat $TEST_NGINX_SERVROOT/logs/nginx.pid))
wait $pid
--- timeout: 60
--- exit_code: 0
--- stdout_like: \Auploaded .*/w\.bin \(32\.0 MiB, .*sha256 $TEST_NGINX_BODY_SHA256\)\n\z
--- stderr_like: \Abgclient: upload to http://127\.0\.0\.1:\d+/upload/w\.bin failed: [^\n]+; retrying in [0-9.]+ s \(attempt 2 of 4\)\nbgclient: resuming at [0-9.]+ MiB of 32\.0 MiB\n\z
--- check_tests: 2
--- check
my $got = bytes_received('/upload/w.bin');
ok($got <= 33554432 + 8 * 1048576 + 4 * 1024, "the server read $got bytes for a 33554432-byte file");
is(join(' ', partial_files()), '', 'no partial upload left behind');
--- stored_file: w.bin
--- stored_sha256: BODY
--- temp_files_allowed



=== TEST 4: -j 4: four ranges over four connections, identical bytes, one JSON answer
--- http_config
log_format bytes '$request_method $uri $status $request_length';
access_log logs/bytes.log bytes;
--- request_body_gen: 40m 24
--- exec
$TEST_NGINX_BUILD/bgclient -j 4 --json http://127.0.0.1:$TEST_NGINX_PORT/upload $TEST_NGINX_BODY_FILE /j4.bin
--- timeout: 60
--- exit_code: 0
--- check_tests: 6
--- check
use JSON::PP;
my $j = JSON::PP->new->decode($exec_stdout);
ok($j->{ok}, 'ok');
is($j->{sha256}, $TEST_NGINX_BODY_SHA256, 'sha256 of the whole file');
is($j->{server_sha256}, $TEST_NGINX_BODY_SHA256, 'the server agrees');
open my $fh, '<', servroot() . '/logs/bytes.log' or die;
my @puts = map { (split ' ')[2] } grep { m{^PUT /upload/j4\.bin } } <$fh>;
is(scalar(@puts), 4, 'four PUTs');
is(join(' ', sort @puts), '201 204 204 204', 'three 204, the one that completed it 201');
is(join(' ', partial_files()), '', 'no partial upload left behind');
--- stored_file: j4.bin
--- stored_sha256: BODY
--- temp_files_allowed



=== TEST 5: -j 4 killed, then resumed with -j 2 and small chunks: the gaps are filled
--- request_body_gen: 40m 25
--- exec
. t/lib/settle.sh; B=$TEST_NGINX_BUILD/bgclient; U=http://127.0.0.1:$TEST_NGINX_PORT/upload
$B -j 4 --limit-rate 16M $U $TEST_NGINX_BODY_FILE /j.bin & pid=$!
sleep 1.5; kill -9 $pid; wait $pid 2>/dev/null
settled_status $B $U /j.bin
$B -j 2 --chunk-size 1M $U $TEST_NGINX_BODY_FILE /j.bin
--- timeout: 60
--- exit_code: 0
--- stdout_like: \Apartial: \d+ of 41943040 \(\d+-\d+(,\d+-\d+){0,3}\)\nuploaded .*/j\.bin \(40\.0 MiB, .*sha256 $TEST_NGINX_BODY_SHA256\)\n\z
--- stderr_like: \Abgclient: resuming at [0-9.]+ MiB of 40\.0 MiB\n\z
--- stored_file: j.bin
--- stored_sha256: BODY
--- check_tests: 1
--- check
is(join(' ', partial_files()), '', 'no partial upload left behind');
--- temp_files_allowed



=== TEST 6: another file, or the same file changed, to the same path: 409, exit 5, the partial intact
--- request_body_gen: 24m 26
--- exec
. t/lib/settle.sh; B=$TEST_NGINX_BUILD/bgclient; U=http://127.0.0.1:$TEST_NGINX_PORT/upload; T=$TEST_NGINX_TMP
cp $TEST_NGINX_BODY_FILE $T/a.bin
$B --limit-rate 8M $U $T/a.bin /c.bin & pid=$!
sleep 1; kill -9 $pid; wait $pid 2>/dev/null
settled_status $B $U /c.bin > $T/before
printf 'another file' > $T/b.bin
$B $U $T/b.bin /c.bin; echo "other file: $?"
cp -p $T/a.bin $T/a2.bin; touch -d '2001-01-01' $T/a2.bin
$B $U $T/a2.bin /c.bin; echo "changed mtime: $?"
$B --status $U /c.bin > $T/after
cmp $T/before $T/after && echo "partial intact"
$B -q $U $T/a.bin /c.bin; echo "original: $?"
--- timeout: 60
--- exit_code: 0
--- stdout_like: \Aother file: 5\nchanged mtime: 5\npartial intact\noriginal: 0\n\z
--- stderr_like: \A(bgclient: a partial upload of another file \(or of another version of this one\) is in progress at http://127\.0\.0\.1:\d+/upload/c\.bin \(use --restart to discard it and upload this file from the start\)\n){2}\z
--- stored_file: c.bin
--- stored_sha256: BODY
--- check_tests: 1
--- check
is(join(' ', partial_files()), '', 'no partial upload left behind');
--- temp_files_allowed



=== TEST 7: --restart discards this file's own partial upload and sends it all again
--- http_config
log_format bytes '$request_method $uri $status $request_length';
access_log logs/bytes.log bytes;
--- request_body_gen: 24m 27
--- exec
. t/lib/settle.sh; B=$TEST_NGINX_BUILD/bgclient; U=http://127.0.0.1:$TEST_NGINX_PORT/upload; T=$TEST_NGINX_TMP
$B --limit-rate 8M $U $TEST_NGINX_BODY_FILE /r.bin & pid=$!
sleep 1; kill -9 $pid; wait $pid 2>/dev/null
$B --restart $U $TEST_NGINX_BODY_FILE /r.bin; echo "restart: $?"
printf 'x' > $T/x.bin
$B --restart $U $T/x.bin /r2.bin; echo "nothing to discard: $?"
grep -E '^(DELETE|HEAD|PUT) /upload/r\.bin ' $TEST_NGINX_SERVROOT/logs/bytes.log | cut -d' ' -f1,3 | tail -3
--- timeout: 60
--- exit_code: 0
--- stdout_like: \Auploaded .*/r\.bin \(24\.0 MiB, .*sha256 $TEST_NGINX_BODY_SHA256\)\nrestart: 0\nuploaded .*/r2\.bin \(1 B, .*\)\nnothing to discard: 0\nDELETE 204\nHEAD 404\nPUT 201\n\z
--- stderr_like: \Abgclient: discarded the partial upload at http://127\.0\.0\.1:\d+/upload/r\.bin\n\z
--- stored_file
r.bin
r2.bin
--- stored_sha256
BODY
--- check_tests: 1
--- check
is(join(' ', partial_files()), '', 'no partial upload left behind');
--- temp_files_allowed



=== TEST 8: --restart discards another file's partial upload (the 409 case) and starts over
--- request_body_gen: 24m 28
--- exec
. t/lib/settle.sh; B=$TEST_NGINX_BUILD/bgclient; U=http://127.0.0.1:$TEST_NGINX_PORT/upload; T=$TEST_NGINX_TMP
$B --limit-rate 8M $U $TEST_NGINX_BODY_FILE /o.bin & pid=$!
sleep 1; kill -9 $pid; wait $pid 2>/dev/null
printf 'the new content' > $T/new.bin
$B -q $U $T/new.bin /o.bin; echo "without --restart: $?"
$B --restart $U $T/new.bin /o.bin; echo "restart: $?"
--- timeout: 60
--- exit_code: 0
--- stdout_like: \Awithout --restart: 5\nuploaded .*/o\.bin \(15 B, .*\)\nrestart: 0\n\z
--- stderr_like: \Abgclient: a partial upload of another file .*\(use --restart to discard it and upload this file from the start\)\nbgclient: discarded the partial upload at http://127\.0\.0\.1:\d+/upload/o\.bin\n\z
--- stored_file: o.bin
--- stored_body: the new content
--- check_tests: 1
--- check
is(join(' ', partial_files()), '', 'no partial upload left behind');
--- temp_files_allowed



=== TEST 9: --status: absent, partial, done (also --json); no file argument
--- request_body_gen: 24m 28
--- exec
. t/lib/settle.sh; B=$TEST_NGINX_BUILD/bgclient; U=http://127.0.0.1:$TEST_NGINX_PORT/upload
$B --status $U /s.bin; echo "absent: $?"
$B --limit-rate 8M $U $TEST_NGINX_BODY_FILE /s.bin & pid=$!
sleep 1; kill -9 $pid; wait $pid 2>/dev/null
settled_status $B $U /s.bin | sed -E 's/^partial: [0-9]+ of/partial: N of/; s/\(0-[0-9]+\)/(0-N)/'; echo "partial: $?"
$B --status --json $U /s.bin | sed -E 's/"(offset|received)":[0-9]+/"\1":N/g; s/"ranges":"0-[0-9]+"/"ranges":"0-N"/'
$B -q $U $TEST_NGINX_BODY_FILE /s.bin
$B --status $U /s.bin; echo "done: $?"
$B --status $U; echo "usage: $?"
--- timeout: 60
--- exit_code: 0
--- stdout_like: \Aabsent\nabsent: 0\npartial: N of 25165824 \(0-N\)\npartial: 0\n\{"ok":true,"url":"http://127\.0\.0\.1:\d+/upload/s\.bin","state":"partial","offset":N,"length":25165824,"received":N,"ranges":"0-N"\}\ndone: 25165824 \(sha256 $TEST_NGINX_BODY_SHA256\)\ndone: 0\nusage: 2\n\z
--- stderr_like: \Abgclient: missing arguments for --status \(usage: bgclient --status <url> <remote_path>\)\n\z
--- stored_file: s.bin
--- stored_sha256: BODY
--- check_tests: 1
--- check
is(join(' ', partial_files()), '', 'no partial upload left behind');
--- temp_files_allowed



=== TEST 10: standard input stays one plain PUT (no HEAD, no Upload-Key); --no-resume too
--- http_config
log_format bytes '$request_method $uri $status $request_length $http_upload_key';
access_log logs/bytes.log bytes;
--- request_body_gen: 4m 29
--- exec
. t/lib/settle.sh; B=$TEST_NGINX_BUILD/bgclient; U=http://127.0.0.1:$TEST_NGINX_PORT/upload
cat $TEST_NGINX_BODY_FILE | $B -q $U - /pipe.bin &&
$B -q $U - /redirected.bin < $TEST_NGINX_BODY_FILE &&
$B -q --no-resume $U $TEST_NGINX_BODY_FILE /plain.bin &&
$B -q $U $TEST_NGINX_BODY_FILE /resumable.bin &&
grep -E ' /upload/(pipe|redirected|plain|resumable)\.bin ' $TEST_NGINX_SERVROOT/logs/bytes.log | cut -d' ' -f1,2,3,5
--- exit_code: 0
--- stdout_like: \APUT /upload/pipe\.bin 201 -\nPUT /upload/redirected\.bin 201 -\nPUT /upload/plain\.bin 201 -\nHEAD /upload/resumable\.bin 404 [0-9a-f]{32}\nPUT /upload/resumable\.bin 201 [0-9a-f]{32}\n\z
--- stored_file
pipe.bin
redirected.bin
plain.bin
resumable.bin
--- stored_sha256
BODY
BODY
BODY
BODY
--- check_tests: 1
--- check
is(join(' ', partial_files()), '', 'no partial upload left behind');
--- temp_files_allowed
