# bgclient end to end, against the module: round trip with sha256, the
# README example, stdin, --overwrite vs 409, 413, unreachable and silent
# servers, retries, the progress bar in a pseudo-terminal, Ctrl-C, headers
# and credentials, HTTP/2, --json, and a 5 GiB file (large).
use lib 't/lib';
use Test::BigUpload;

# The config of every block that has no --- config of its own.
default_sections(config => <<'_EOC_');
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
}
_EOC_

run_tests();

__DATA__

=== TEST 1: 256 MiB round trip: stored byte for byte, one success line, nothing on stderr
--- request_body_gen: 256m 1
--- exec
$TEST_NGINX_BUILD/bgclient http://127.0.0.1:$TEST_NGINX_PORT/upload $TEST_NGINX_BODY_FILE /big/256m.bin
--- timeout: 120
--- exit_code: 0
--- stdout_like: \Auploaded \S+/gen/\S+ -> http://127\.0\.0\.1:\d+/upload/big/256m\.bin \(256 MiB, [0-9.]+ [KMG]iB/s, sha256 $TEST_NGINX_BODY_SHA256\)\n\z
--- stderr_like: \A\z
--- stored_file: big/256m.bin
--- stored_sha256: BODY
--- stored_size: 256m
--- no_error_log
[error]
[crit]



=== TEST 2: the README example PUTs <url>/<remote_path>
--- config
location /uploads/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
}
--- exec
mkdir -p $TEST_NGINX_TMP/path/to && printf 'zip bytes' > $TEST_NGINX_TMP/path/to/example.zip &&
$TEST_NGINX_BUILD/bgclient http://127.0.0.1:$TEST_NGINX_PORT $TEST_NGINX_TMP/path/to/example.zip /uploads/example.zip
--- exit_code: 0
--- stdout_like: -> http://127\.0\.0\.1:\d+/uploads/example\.zip \(9 B,
--- stored_file: example.zip
--- stored_body: zip bytes



=== TEST 3: a remote path ending in "/" takes the file's name; odd characters are escaped
--- exec
printf 'one' > "$TEST_NGINX_TMP/a file.txt" &&
$TEST_NGINX_BUILD/bgclient http://127.0.0.1:$TEST_NGINX_PORT/upload/ "$TEST_NGINX_TMP/a file.txt" docs/
--- exit_code: 0
--- stdout_like: -> http://127\.0\.0\.1:\d+/upload/docs/a%20file\.txt \(
--- stored_file: docs/a file.txt
--- stored_body: one



=== TEST 4: standard input from a pipe is sent chunked
--- request_body_gen: 8m 2
--- exec
cat $TEST_NGINX_BODY_FILE | $TEST_NGINX_BUILD/bgclient -v http://127.0.0.1:$TEST_NGINX_PORT/upload - /in/stdin.bin
--- exit_code: 0
--- stdout_like: \Auploaded \(stdin\) -> http://127\.0\.0\.1:\d+/upload/in/stdin\.bin \(8\.00 MiB, .*sha256 $TEST_NGINX_BODY_SHA256\)\n\z
--- stderr_like: ^> Transfer-Encoding: chunked$
--- stored_file: in/stdin.bin
--- stored_sha256: BODY



=== TEST 5: standard input redirected from a file is sent with its length
--- request_body_gen: 1m 3
--- exec
$TEST_NGINX_BUILD/bgclient -v http://127.0.0.1:$TEST_NGINX_PORT/upload - /in/file.bin < $TEST_NGINX_BODY_FILE
--- exit_code: 0
--- stderr_like: ^> Content-Length: 1048576$
--- stored_file: in/file.bin
--- stored_sha256: BODY



=== TEST 6: an existing file: 409, exit code 5, a one-line message, the file untouched
--- init
open my $f, '>', store_path('x.bin') or die; print $f 'original'; close $f;
--- exec
printf 'replacement' > $TEST_NGINX_TMP/r.bin &&
$TEST_NGINX_BUILD/bgclient http://127.0.0.1:$TEST_NGINX_PORT/upload $TEST_NGINX_TMP/r.bin /x.bin
--- exit_code: 5
--- stdout_like: \A\z
--- stderr_like: \Abgclient: remote file already exists: http://127\.0\.0\.1:\d+/upload/x\.bin \(use --overwrite to replace it\)\n\z
--- stored_file: x.bin
--- stored_body: original



=== TEST 7: --overwrite replaces it where the server allows it
--- config
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
    bigupload_overwrite on;
}
--- init
open my $f, '>', store_path('x.bin') or die; print $f 'original'; close $f;
--- exec
printf 'replacement' > $TEST_NGINX_TMP/r.bin &&
$TEST_NGINX_BUILD/bgclient http://127.0.0.1:$TEST_NGINX_PORT/upload $TEST_NGINX_TMP/r.bin /x.bin;
echo "without --overwrite: $?";
$TEST_NGINX_BUILD/bgclient --overwrite http://127.0.0.1:$TEST_NGINX_PORT/upload $TEST_NGINX_TMP/r.bin /x.bin;
echo "with --overwrite: $?"
--- exit_code: 0
--- stdout_like: \Awithout --overwrite: 5\nuploaded .*\nwith --overwrite: 0\n\z
--- stored_file: x.bin
--- stored_body: replacement



=== TEST 8: --overwrite where the server keeps files: exit 5, and the message says why
--- init
open my $f, '>', store_path('x.bin') or die; print $f 'original'; close $f;
--- exec
printf 'replacement' > $TEST_NGINX_TMP/r.bin &&
$TEST_NGINX_BUILD/bgclient --overwrite http://127.0.0.1:$TEST_NGINX_PORT/upload $TEST_NGINX_TMP/r.bin /x.bin
--- exit_code: 5
--- stderr_like: \Abgclient: remote file already exists and the server does not allow replacing it: http://127\.0\.0\.1:\d+/upload/x\.bin: .+\n\z
--- stored_body: original
--- stored_file: x.bin



=== TEST 9: too large: the server's 413 comes before the body is sent (Expect: 100-continue)
--- config
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
    bigupload_max_size 1m;
}
--- request_body_gen: 64m 4
--- exec
$TEST_NGINX_BUILD/bgclient --json http://127.0.0.1:$TEST_NGINX_PORT/upload $TEST_NGINX_BODY_FILE /big.bin
--- exit_code: 5
--- stderr_like: \Abgclient: server refused the upload \(HTTP 413 [^)]*\)(: .+)?\n\z
--- stdout_like: \A\{"ok":false,"exit_code":5,"error":"refused",.*"status":413,
--- not_stored: big.bin



=== TEST 10: nothing listens: exit 4 at once, each retry said, the last error kept
--- exec
port=$(perl -MIO::Socket::INET -e 'print IO::Socket::INET->new(Listen => 1, LocalAddr => "127.0.0.1:0")->sockport');
printf 'x' > $TEST_NGINX_TMP/x.bin;
$TEST_NGINX_BUILD/bgclient --retries 1 http://127.0.0.1:$port/upload $TEST_NGINX_TMP/x.bin /x.bin
--- exit_code: 4
--- stderr_like: \Abgclient: upload to http://127\.0\.0\.1:\d+/upload/x\.bin failed: Failed to connect to 127\.0\.0\.1 port \d+ .*; retrying in [0-9.]+ s \(attempt 2 of 2\)\nbgclient: upload to .* failed: .*\(after 2 attempts\)\n\z



=== TEST 11: a server that never accepts: exit 4 within --connect-timeout
--- exec
printf 'x' > $TEST_NGINX_TMP/x.bin;
perl -MIO::Socket::INET -MTime::HiRes=time,sleep -e '
    # a listener whose accept queue is full: further SYNs are dropped
    my $l = IO::Socket::INET->new(Listen => 0, LocalAddr => "127.0.0.1:0") or die "listen: $!";
    my $p = $l->sockport;
    my @fill = map { IO::Socket::INET->new(PeerAddr => "127.0.0.1:$p", Blocking => 0) } 1 .. 8;
    sleep 0.3;
    my $t = time;
    system("$ENV{TEST_NGINX_BUILD}/bgclient", "--connect-timeout", "1.5", "--retries", "0",
           "http://127.0.0.1:$p/upload", "$ENV{TEST_NGINX_TMP}/x.bin", "/x.bin");
    printf "exit %d after %.1f s\n", $? >> 8, time - $t;'
--- exit_code: 0
--- stdout_like: \Aexit 4 after (1\.[5-9]|2\.\d|3\.[0-4]) s\n\z
--- stderr_like: \Abgclient: upload to .* failed: .*after 1[45]\d\d (ms|milliseconds).*\n\z



=== TEST 12: the server comes back (connection refused at first): a retry succeeds
--- request_body_gen: 4m 5
--- exec
perl -MIO::Socket::INET -MIO::Select -MTime::HiRes=sleep -e '
    my $probe = IO::Socket::INET->new(Listen => 1, LocalAddr => "127.0.0.1:0") or die;
    my $p = $probe->sockport;
    close $probe;
    my $proxy = fork // die;
    if ($proxy == 0) {
        # the "server" appears after 1.5 s: a forwarder to nginx
        sleep 1.5;
        my $l = IO::Socket::INET->new(Listen => 5, LocalAddr => "127.0.0.1:$p", ReuseAddr => 1)
            or die "listen: $!";
        while (my $c = $l->accept) {
            my $s = IO::Socket::INET->new("127.0.0.1:$ENV{TEST_NGINX_PORT}") or die;
            my $sel = IO::Select->new($c, $s);
            while ($sel->count) {
                for my $h ($sel->can_read) {
                    my $o = $h == $c ? $s : $c;
                    my $n = sysread($h, my $buf, 65536);
                    if (!$n) { shutdown($o, 1); $sel->remove($h); next }
                    syswrite($o, $buf);
                }
            }
            close $c; close $s;
        }
        exit 0;
    }
    system("$ENV{TEST_NGINX_BUILD}/bgclient", "--retries", "6",
           "http://127.0.0.1:$p/upload", $ENV{TEST_NGINX_BODY_FILE}, "/back.bin");
    my $rc = $? >> 8;
    kill "KILL", $proxy; waitpid $proxy, 0;
    print "exit $rc\n";'
--- timeout: 60
--- exit_code: 0
--- stdout_like: ^exit 0$
--- stderr_like: Couldn't connect to server; retrying in [0-9.]+ s \(attempt 2 of 7\)
--- stored_file: back.bin
--- stored_sha256: BODY



=== TEST 13: 503 with Retry-After until the server is ready: waits as asked, then succeeds
--- config
location /upload/ {
    if (-f $TEST_NGINX_TMP/down) {
        add_header Retry-After 2 always;
        return 503;
    }
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
}
--- request_body_gen: 2m 6
--- exec
touch $TEST_NGINX_TMP/down;
(sleep 0.5; rm -f $TEST_NGINX_TMP/down) &
$TEST_NGINX_BUILD/bgclient --retries 3 http://127.0.0.1:$TEST_NGINX_PORT/upload $TEST_NGINX_BODY_FILE /ra.bin
--- exit_code: 0
--- stderr_like: \Abgclient: server error \(HTTP 503 Service Temporarily Unavailable\); retrying in 2\.0 s \(attempt 2 of 4\)\n\z
--- stored_file: ra.bin
--- stored_sha256: BODY



=== TEST 14: the progress bar in a pseudo-terminal: sized to it, <= 10 redraws a second, 100% at the end
--- request_body_gen: 32m 7
--- exec
s=$(date +%s.%N)
script -qec "stty cols 100; $TEST_NGINX_BUILD/bgclient --limit-rate 16M http://127.0.0.1:$TEST_NGINX_PORT/upload $TEST_NGINX_BODY_FILE /tty.bin" /dev/null
rc=$?; echo "wall $s $(date +%s.%N)"; exit $rc
--- timeout: 60
--- exit_code: 0
--- check_tests: 7
--- check
my @frames = grep { /^\s*\d+% \[/ } split /\r\n?|\n/, $exec_stdout;
my $n = @frames;
my ($s, $e) = $exec_stdout =~ /^wall (\S+) (\S+)$/m or die "no wall time";
# about 2 s of sending at 16 MiB/s: redrawn, but never more than 10 times a second
ok($n >= 5 && $n <= 10 * ($e - $s) + 2, sprintf("%d frames in %.1f s", $n, $e - $s));
is(scalar(grep { length($_) != 99 } @frames), 0, 'every frame is 99 columns (100 - 1)');
like($frames[0], qr/^\s*\d+% \[[=> ]+\] +[0-9.]+ [KMG]?i?B \/ 32\.0 MiB/, 'first frame');
ok((grep { /ETA \d\d:\d\d/ } @frames), 'an ETA is shown');
like($frames[-1], qr/^100% \[=+\] 32\.0 MiB \/ 32\.0 MiB +[0-9.]+ MiB\/s \d\d:\d\d done +$/, 'last frame: 100%, done');
like($exec_stdout, qr/\nuploaded \S+ -> http:.*tty\.bin \(32\.0 MiB,/, 'success line after the bar');
unlike($exec_stdout, qr/bgclient:/, 'no error');
--- stored_file: tty.bin
--- stored_sha256: BODY



=== TEST 15: no progress when stderr is not a terminal; --progress=plain prints log lines
--- request_body_gen: 8m 8
--- exec
$TEST_NGINX_BUILD/bgclient http://127.0.0.1:$TEST_NGINX_PORT/upload $TEST_NGINX_BODY_FILE /a.bin 2> $TEST_NGINX_TMP/quiet.err &&
test ! -s $TEST_NGINX_TMP/quiet.err &&
$TEST_NGINX_BUILD/bgclient -q http://127.0.0.1:$TEST_NGINX_PORT/upload $TEST_NGINX_BODY_FILE /b.bin &&
$TEST_NGINX_BUILD/bgclient --progress=plain http://127.0.0.1:$TEST_NGINX_PORT/upload $TEST_NGINX_BODY_FILE /c.bin > /dev/null
--- exit_code: 0
--- stdout_like: \Auploaded .*/a\.bin \(8\.00 MiB, .*\)\n\z
--- stderr_like: \A(100% 8\.00 MiB / 8\.00 MiB, \d\d:\d\d elapsed, waiting for server\n)?100% 8\.00 MiB / 8\.00 MiB, [0-9.]+ [KMG]iB/s, \d\d:\d\d elapsed, done\n\z
--- stored_file
a.bin
b.bin
c.bin



=== TEST 16: Ctrl-C mid-upload: "bgclient: interrupted", exit 130, nothing at the target, the partial kept
--- request_body_gen: 64m 9
--- exec
$TEST_NGINX_BUILD/bgclient --limit-rate 8M http://127.0.0.1:$TEST_NGINX_PORT/upload $TEST_NGINX_BODY_FILE /int.bin & pid=$!
sleep 1; kill -INT $pid; wait $pid; echo "SIGINT: $?"
$TEST_NGINX_BUILD/bgclient --limit-rate 8M http://127.0.0.1:$TEST_NGINX_PORT/upload $TEST_NGINX_BODY_FILE /term.bin & pid=$!
sleep 1; kill -TERM $pid; wait $pid; echo "SIGTERM: $?"
--- exit_code: 0
--- stdout_like: \ASIGINT: 130\nSIGTERM: 130\n\z
--- stderr_like: \Abgclient: interrupted\nbgclient: interrupted\n\z
--- wait: 1
--- temp_files_allowed
--- not_stored
int.bin
term.bin
--- check
opendir my $d, store_path(".bigupload") or die "no partials: $!";
my @states = grep { /\.state$/ } readdir $d;
is(scalar @states, 2, "both partials kept for a rerun");



=== TEST 17: -H, -u and --oauth2-bearer reach the server
--- config
location /h/ {
    if ($http_x_token != "s3cret") { return 403; }
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
}
location /u/ {
    if ($http_authorization != "Basic dTpw") { return 401; }
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
}
location /b/ {
    if ($http_authorization != "Bearer t0ken") { return 401; }
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
}
--- exec
B=$TEST_NGINX_BUILD/bgclient; U=http://127.0.0.1:$TEST_NGINX_PORT; F=$TEST_NGINX_TMP/f.bin
printf 'data' > $F
$B -q $U/h $F /h1.bin; echo "no header: $?"
$B -q -H 'X-Token: s3cret' $U/h $F /h2.bin; echo "-H: $?"
$B -q --header=X-Token:s3cret $U/h $F /h3.bin; echo "--header=: $?"
$B -q $U/u $F /u1.bin; echo "no user: $?"
$B -q -u u:p $U/u $F /u2.bin; echo "-u: $?"
$B -q --oauth2-bearer t0ken $U/b $F /b1.bin; echo "bearer: $?"
--- exit_code: 0
--- stdout_like: \Ano header: 5\n-H: 0\n--header=: 0\nno user: 5\n-u: 0\nbearer: 0\n\z
--- stderr_like: \Abgclient: server refused the upload \(HTTP 403 Forbidden\)\nbgclient: server refused the upload \(HTTP 401 Unauthorized\) \(give credentials with -u user:password or --oauth2-bearer\)\n\z
--- stored_file
h2.bin
h3.bin
u2.bin
b1.bin



=== TEST 18: --http2 over cleartext (prior knowledge) and --json
--- request_body_gen: 16m 10
--- exec
$TEST_NGINX_BUILD/bgclient --http2 --json http://127.0.0.1:$TEST_NGINX_H2_PORT/upload $TEST_NGINX_BODY_FILE /h2.bin
--- exit_code: 0
--- check_tests: 8
--- check
use JSON::PP;
my $j = JSON::PP->new->decode($exec_stdout);
ok($j->{ok}, 'ok');
is($j->{exit_code}, 0, 'exit_code');
is($j->{status}, 201, 'status');
is($j->{http_version}, 'HTTP/2', 'http_version');
is($j->{size}, 16777216, 'size');
is($j->{sha256}, $TEST_NGINX_BODY_SHA256, 'sha256');
is($j->{server_sha256}, $TEST_NGINX_BODY_SHA256, 'server_sha256');
is($j->{path}, '/h2.bin', 'path');
--- stored_file: h2.bin
--- stored_sha256: BODY



=== TEST 19: errors found before any network traffic: usage (2), unreadable file (3)
--- exec
B=$TEST_NGINX_BUILD/bgclient; U=http://127.0.0.1:$TEST_NGINX_PORT/upload
$B $U; echo "missing args: $?"
$B --retries=many $U /etc/hostname /x; echo "bad value: $?"
$B --frobnicate $U /etc/hostname /x; echo "unknown option: $?"
$B ftp://127.0.0.1/ /etc/hostname /x; echo "bad scheme: $?"
$B $U /etc/hostname /a/../x; echo "bad remote path: $?"
$B $U /nonexistent/file /x; echo "no such file: $?"
$B $U /tmp /x; echo "directory: $?"
$B --help > /dev/null; echo "help: $?"
$B --version | grep -q '^bgclient [0-9.]* (libcurl/'; echo "version: $?"
--- exit_code: 0
--- stdout_like: \Amissing args: 2\nbad value: 2\nunknown option: 2\nbad scheme: 2\nbad remote path: 2\nno such file: 3\ndirectory: 3\nhelp: 0\nversion: 0\n\z
--- stderr_like: \Abgclient: missing <file_path> and <remote_path> \(usage: .*\)\nbgclient: bad --retries 'many': .*\nbgclient: unknown option '--frobnicate' .*\nbgclient: unsupported URL scheme 'ftp' .*\nbgclient: bad <remote_path> '/a/\.\./x': .*\nbgclient: cannot open '/nonexistent/file': No such file or directory\nbgclient: cannot upload '/tmp': it is a directory\n\z



=== TEST 20: a 5 GiB sparse file crosses the 4 GiB boundary intact
--- large
--- exec
f=$TEST_NGINX_TMP/sparse5g.bin
rm -f $f; truncate -s 5G $f
printf 'head' | dd of=$f conv=notrunc status=none
printf 'past 4 GiB' | dd of=$f bs=1 seek=4294967300 conv=notrunc status=none
printf 'tail' | dd of=$f bs=1 seek=5368709116 conv=notrunc status=none
$TEST_NGINX_BUILD/bgclient http://127.0.0.1:$TEST_NGINX_PORT/upload $f /big/5g.bin
rc=$?; rm -f $f; exit $rc
--- timeout: 900
--- exit_code: 0
--- stdout_like: -> http://127\.0\.0\.1:\d+/upload/big/5g\.bin \(5\.00 GiB, .*sha256 [0-9a-f]{64}\)\n\z
--- stored_file: big/5g.bin
--- stored_size: 5g
--- check_tests: 1
--- check
my $f = store_path('big/5g.bin');
open my $fh, '<', $f or die;
my $got = '';
seek $fh, 4294967300, 0; read $fh, my $a, 10; $got .= $a;
seek $fh, 5368709116, 0; read $fh, my $b, 4; $got .= $b;
seek $fh, 0, 0; read $fh, my $c, 4; $got .= $c;
is($got, 'past 4 GiBtailhead', 'bytes past 4 GiB are where they belong');
