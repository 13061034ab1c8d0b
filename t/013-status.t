# The status endpoint: uploads in flight across workers, partials on disk,
# counters, the Prometheus format (checked by promtool and by the grammar),
# and the $bigupload_* variables in the access log.
use lib 't/lib';
use Test::BigUpload;
use JSON::PP;
use POSIX ();
use Time::HiRes qw(sleep);


# GET the status (JSON) on the reuseport listener
sub status {
    my ($query) = @_;
    my ($st, $h, $body) = http_request(uri => "/bigupload-status" . ($query // ''),
                                       port => $ENV{TEST_NGINX_PORT2});
    die "status answered $st: $body" unless $st == 200;
    return decode_json($body);
}

# start curl in the background; returns its pid
sub bg_curl {
    my (@args) = @_;
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        open STDOUT, '>', '/dev/null';
        exec 'curl', '-sS', @args;
        POSIX::_exit(127);
    }
    return $pid;
}

# every line of a text exposition against the format's grammar; returns
# the samples as { "name{labels}" => value }
sub prometheus_samples {
    my ($text) = @_;
    my (%samples, %type, $family);
    my $name = qr/[a-zA-Z_:][a-zA-Z0-9_:]*/;
    my $lval = qr/"(?:[^"\\\n]|\\[\\"n])*"/;
    my $num  = qr/(?:[+-]?(?:[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?|Inf)|NaN)/;
    die "no final newline\n" unless $text =~ /\n\z/;
    for my $line (split /\n/, $text) {
        if ($line =~ /^# HELP ($name) \S.*$/) {
            $family = $1;
            die "family $family declared twice\n" if $type{$family};
        } elsif ($line =~ /^# TYPE ($name) (counter|gauge|histogram|summary|untyped)$/) {
            die "TYPE $1 without its HELP first\n" unless defined $family && $1 eq $family;
            $type{$1} = $2;
        } elsif ($line =~ /^($name)((?:\{$name=$lval(?:,$name=$lval)*\})?) ($num)$/) {
            my ($n, $labels, $v) = ($1, $2, $3);
            die "sample $n outside its family $family\n"
                unless $n eq $family || ($type{$family} eq 'histogram'
                                         && $n =~ /^\Q$family\E_(bucket|sum|count)$/);
            $samples{"$n$labels"} = $v;
        } else {
            die "not in the exposition grammar: $line\n";
        }
    }
    return \%samples;
}

# The config of every block that has no --- config of its own.
# (TEST 1 and 2 have an empty one: their servers are in --- http_config.)
default_sections(config => <<'_EOC_');
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
}
location = /bigupload-status {
    bigupload_status;
}
_EOC_

run_tests();

__DATA__

=== TEST 1: an upload in flight shows in every worker's status, with a growing byte count
--- config
--- main_config
worker_processes 2;
--- http_config
log_format status_n '$arg_n $pid';
server {
    listen 127.0.0.1:$TEST_NGINX_PORT2 reuseport;
    location /upload/ {
        bigupload;
        bigupload_store $TEST_NGINX_STORE;
    }
    location = /bigupload-status {
        bigupload_status;
        access_log $TEST_NGINX_SERVROOT/logs/status.log status_n;
    }
}
--- setup
gen_file("$TEST_NGINX_TMP/f4m", 4 * 1048576, 3);
--- check
my $f = "$TEST_NGINX_TMP/f4m";
my $pid = main::bg_curl('--limit-rate', '1M', '-T', $f,
                        "http://127.0.0.1:$TEST_NGINX_PORT2/upload/slow.bin");
my (%seen, @received, $last);
for my $n (1 .. 60) {
    my $j = main::status("?n=$n");
    if (@{ $j->{uploads} }) {
        $seen{$n} = 1;
        push @received, $j->{uploads}[0]{received};
        $last = $j->{uploads}[0];
    }
    last if @received >= 25;
    sleep 0.1;
}
waitpid($pid, 0);
is($?, 0, "curl uploaded");
cmp_ok(scalar @received, '>=', 10, "the upload was seen in flight");
my @sorted = sort { $a <=> $b } @received;
is_deeply(\@received, \@sorted, "its byte count never goes back");
cmp_ok($received[-1], '>', $received[0], "and grows");
is($last->{path}, "/slow.bin", "path");
is($last->{length}, 4 * 1048576, "declared length");
is($last->{client}, "127.0.0.1", "client address");
ok(!$last->{resumable}, "a plain upload");
cmp_ok($last->{rate}, '>', 0, "a current rate");
like($last->{started}, qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, "start time");
# which worker answered which status request: both saw the upload
open my $fh, '<', "$TEST_NGINX_SERVROOT/logs/status.log" or die;
my %pids;
while (<$fh>) { my ($n, $p) = split; $pids{$p} = 1 if $seen{$n}; }
is(scalar keys %pids, 2, "status requests answered by both workers listed it");
my $j = main::status();
is_deeply($j->{uploads}, [], "nothing in flight after");
is($j->{counters}{completed}, 1, "one completed");
is($j->{counters}{bytes_stored}, 4 * 1048576, "bytes stored");
is($j->{counters}{bytes_received}, 4 * 1048576, "bytes received");
is(sha256_file(store_path("slow.bin")), sha256_file($f), "stored byte for byte");
--- no_error_log
[crit]
[alert]



=== TEST 2: counters after completed, failed, cancelled and partial uploads, from either worker
--- config
--- main_config
worker_processes 2;
--- http_config
server {
    listen 127.0.0.1:$TEST_NGINX_PORT2 reuseport;
    location /upload/ {
        bigupload;
        bigupload_store $TEST_NGINX_STORE;
        bigupload_max_size 1m;
    }
    location = /bigupload-status {
        bigupload_status;
    }
}
--- check
my $p2 = $TEST_NGINX_PORT2;
for my $n (1 .. 3) {
    my ($st) = http_request(method => 'PUT', uri => "/upload/f$n", port => $p2,
                            body => "x" x (1000 * $n));
    is($st, 201, "upload $n stored");
}
my ($st) = http_request(method => 'PUT', uri => "/upload/f1", port => $p2, body => "y");
is($st, 409, "exists");
($st) = http_request(method => 'PUT', uri => "/upload/big", port => $p2,
                     body => "z" x 2000000);
is($st, 413, "too large");
http_request(method => 'PUT', uri => "/upload/gone", port => $p2,
             headers => { 'Content-Length' => 100000 }, body => "g" x 100000,
             abort_after => 1000);
($st) = http_request(method => 'PUT', uri => "/upload/part", port => $p2, body => "p" x 1000,
                     headers => { 'Upload-Key' => 'k1',
                                  'Content-Range' => 'bytes 0-999/5000' });
is($st, 204, "a partial");
($st) = http_request(method => 'DELETE', uri => "/upload/part", port => $p2,
                     headers => { 'Upload-Key' => 'k1' });
is($st, 204, "cancelled by DELETE");
# the abandoned upload is counted once its request is over
my $j;
for (1 .. 50) {
    $j = main::status();
    last if $j->{counters}{cancelled} == 2;
    sleep 0.1;
}
my $c = $j->{counters};
is($c->{completed}, 3, "completed");
is($c->{failed}, 2, "failed");
is_deeply($c->{failed_by_reason}, { exists => 1, too_large => 1 }, "failed by reason");
is($c->{cancelled}, 2, "cancelled: the abandoned upload and the DELETE");
is($c->{partial}, 1, "partial");
is($c->{bytes_stored}, 6000, "bytes stored");
# every status request agrees, whichever worker answers it
my %answers;
$answers{ JSON::PP->new->canonical->encode(main::status()->{counters}) } = 1 for 1 .. 10;
is(scalar keys %answers, 1, "the same counters from any worker");
my ($pst, $ph, $text) = http_request(uri => "/bigupload-status?format=prometheus", port => $p2);
is($pst, 200, "prometheus format");
like($ph->{'content-type'}, qr{^text/plain; version=0\.0\.4}, "its content type");
my $samples = eval { main::prometheus_samples($text) };
is($@, '', "every line in the exposition grammar");
is($samples->{'bigupload_uploads_completed_total'}, 3, "completed counter");
is($samples->{'bigupload_uploads_failed_total{reason="exists"}'}, 1, "failed counter by reason");
is($samples->{'bigupload_uploads_cancelled_total'}, 2, "cancelled counter");
is($samples->{'bigupload_upload_size_bytes_count'}, 3, "size histogram count");
is($samples->{'bigupload_upload_size_bytes_bucket{le="1048576"}'}, 3, "all in the first bucket");
is($samples->{'bigupload_upload_size_bytes_sum'}, 6000, "size histogram sum");
open my $pt, '|-', 'promtool check metrics > ' . "$TEST_NGINX_TMP/promtool.out 2>&1" or die;
print $pt $text;
close $pt;
is($? >> 8, 0, "promtool accepts it");
open my $po, '<', "$TEST_NGINX_TMP/promtool.out" or die;
my $lint = do { local $/; <$po> };
is($lint, '', "promtool finds nothing to lint");
--- temp_files_allowed
--- no_error_log
[crit]
[alert]



=== TEST 3: partials kept on disk are listed with offset, length and expiry
--- config
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
    bigupload_expire 1h;
}
location = /bigupload-status {
    bigupload_status;
}
--- check
my ($st) = http_request(method => 'PUT', uri => "/upload/d/part.bin", body => "p" x 1000,
                        headers => { 'Upload-Key' => 'k1',
                                     'Content-Range' => 'bytes 0-999/5000' });
is($st, 204, "a partial");
($st) = http_request(method => 'PUT', uri => "/upload/d/part.bin", body => "q" x 500,
                     headers => { 'Upload-Key' => 'k1',
                                  'Content-Range' => 'bytes 3000-3499/5000' });
is($st, 204, "another range");
my ($s, $h, $body) = http_request(uri => "/bigupload-status");
is($s, 200, "status");
is($h->{'cache-control'}, 'no-store', "not cached");
my $j = decode_json($body);
is(scalar @{ $j->{partials} }, 1, "one partial");
my $p = $j->{partials}[0];
is($p->{path}, "/d/part.bin", "its path");
is($p->{offset}, 1000, "contiguous offset");
is($p->{received}, 1500, "bytes held");
is($p->{length}, 5000, "declared length");
my $parse = sub { my ($y, $mo, $d, $hh, $mi, $ss) = $_[0] =~ /^(\d+)-(\d+)-(\d+)T(\d+):(\d+):(\d+)Z$/ or return;
                  POSIX::mktime($ss, $mi, $hh, $d, $mo - 1, $y - 1900) };
is($parse->($p->{expires}) - $parse->($p->{updated}), 3600, "expires bigupload_expire after the last activity");
my ($ps, $ph, $text) = http_request(uri => "/bigupload-status?format=prometheus");
like($text, qr/^bigupload_partials 1$/m, "partials gauge");
like($text, qr/^bigupload_partial_bytes 1500$/m, "partial bytes gauge");
--- temp_files_allowed
--- no_error_log
[crit]
[alert]



=== TEST 4: the status answers GET and HEAD only, and knows two formats
--- config
location = /bigupload-status {
    bigupload_status;
}
--- check
my ($st, $h, $body) = http_request(method => 'POST', uri => "/bigupload-status", body => "x");
is($st, 405, "POST refused");
is($h->{allow}, "GET, HEAD", "Allow");
is(decode_json($body)->{error}, "method_not_allowed", "JSON error");
($st, $h, $body) = http_request(uri => "/bigupload-status?format=xml");
is($st, 400, "unknown format");
is(decode_json($body)->{error}, "bad_format", "JSON error");
($st, $h, $body) = http_request(method => 'HEAD', uri => "/bigupload-status");
is($st, 200, "HEAD");
is($body, '', "no body");
($st, $h, $body) = http_request(uri => "/bigupload-status?format=json");
is($st, 200, "explicit json");
is(decode_json($body)->{counters}{completed}, 0, "fresh counters");
is_deeply(decode_json($body)->{partials}, [], "no store, no partials");
--- error_log
bigupload: method "POST" not allowed on the status
bigupload: unknown status format "xml"



=== TEST 5: a zone smaller than 8 pages is refused at start
--- http_config
bigupload_zone 4k;
--- config
location = /bigupload-status {
    bigupload_status;
}
--- must_die
--- error_log
bigupload_zone of 4096 bytes is too small



=== TEST 6: the variables in the access log: complete, failed, partial, cancelled
--- http_config
log_format up '$request_method $uri $status path=$bigupload_path bytes=$bigupload_bytes size=$bigupload_size sha256=$bigupload_sha256 result=$bigupload_result error=$bigupload_error';
--- config
access_log $TEST_NGINX_SERVROOT/logs/up.log up;
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
}
--- check
my ($st) = http_request(method => 'PUT', uri => "/upload/a.bin", body => "hello");
is($st, 201, "stored");
($st) = http_request(method => 'PUT', uri => "/upload/a.bin", body => "again");
is($st, 409, "exists");
($st) = http_request(method => 'PUT', uri => "/upload/p.bin", body => "p" x 10,
                     headers => { 'Upload-Key' => 'k', 'Content-Range' => 'bytes 0-9/20' });
is($st, 204, "partial");
($st) = http_request(method => 'DELETE', uri => "/upload/p.bin", headers => { 'Upload-Key' => 'k' });
is($st, 204, "cancelled");
http_request(method => 'PUT', uri => "/upload/gone.bin", headers => { 'Content-Length' => 100000 },
             body => "g" x 100000, abort_after => 1000);
my @lines;
for (1 .. 50) {
    open my $fh, '<', "$TEST_NGINX_SERVROOT/logs/up.log" or die;
    @lines = <$fh>;
    last if @lines >= 5;
    sleep 0.1;
}
my $sha = sha256_hex("hello");
is($lines[0], "PUT /upload/a.bin 201 path=/a.bin bytes=5 size=5 sha256=$sha result=complete error=\n", "complete");
is($lines[1], "PUT /upload/a.bin 409 path=/a.bin bytes=0 size= sha256= result=failed error=exists\n", "failed");
is($lines[2], "PUT /upload/p.bin 204 path=/p.bin bytes=10 size= sha256= result=partial error=\n", "partial");
is($lines[3], "DELETE /upload/p.bin 204 path=/p.bin bytes= size= sha256= result=cancelled error=\n", "cancelled by DELETE");
like($lines[4], qr{^PUT /upload/gone\.bin \d+ path=/gone\.bin bytes=\d+ size= sha256= result=cancelled error=client_closed\n}, "abandoned by the client");
--- no_error_log
[crit]
[alert]



=== TEST 7: a SIGKILLed worker's upload leaves the status
--- main_config
worker_processes 1;
--- setup
gen_file("$TEST_NGINX_TMP/f2m", 2 * 1048576, 4);
--- check
my $pid = main::bg_curl('--limit-rate', '256k', '-H', 'Upload-Key: kk', '-T', "$TEST_NGINX_TMP/f2m",
                        "http://127.0.0.1:$TEST_NGINX_PORT/upload/killed.bin");
my $j;
for (1 .. 50) {
    my ($st, $h, $body) = http_request(uri => "/bigupload-status");
    $j = decode_json($body);
    last if @{ $j->{uploads} } && $j->{uploads}[0]{received} > 0;
    sleep 0.1;
}
is(scalar @{ $j->{uploads} }, 1, "in flight");
my $worker = $j->{uploads}[0]{pid};
ok($j->{uploads}[0]{resumable}, "resumable");
kill 'KILL', $worker;
waitpid($pid, 0);
my $after;
for (1 .. 50) {
    my ($st, $h, $body) = http_request(uri => "/bigupload-status");
    if ($st == 200) { $after = decode_json($body); last; }
    sleep 0.1;
}
is_deeply($after->{uploads}, [], "its slot went with it");
--- temp_files_allowed
--- no_error_log
[crit]



=== TEST 8: HEAD of a finished file reports its sha256 (Repr-Digest) until the file changes; bgclient --status shows it
--- config
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
}
--- exec
printf 'hello' > $TEST_NGINX_TMP/h.txt && $TEST_NGINX_BUILD/bgclient -q http://127.0.0.1:$TEST_NGINX_PORT/upload $TEST_NGINX_TMP/h.txt /h.txt && $TEST_NGINX_BUILD/bgclient --status http://127.0.0.1:$TEST_NGINX_PORT/upload /h.txt && $TEST_NGINX_BUILD/bgclient --status --json http://127.0.0.1:$TEST_NGINX_PORT/upload /h.txt
--- exit_code: 0
--- check
my $sha = sha256_hex("hello");
my @out = split /\n/, $exec_stdout;
is($out[0], "done: 5 (sha256 $sha)", "--status");
my $j = decode_json($out[1]);
is($j->{state}, "done", "--status --json: state");
is($j->{sha256}, $sha, "--status --json: sha256");
my ($st, $h) = http_request(method => 'HEAD', uri => '/upload/h.txt');
is($st, 200, "HEAD");
is($h->{'repr-digest'}, "sha-256=:LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=:", "the file's digest");
open my $fh, '>>', store_path("h.txt") or die;
print $fh "!";
close $fh;
($st, $h) = http_request(method => 'HEAD', uri => '/upload/h.txt');
is($st, 200, "HEAD after a change");
ok(!exists $h->{'repr-digest'}, "no digest for a changed file");
is($h->{'content-length'}, 6, "its new size");



=== TEST 9: a full zone leaves uploads unlisted, never failed
--- http_config
bigupload_zone 32k;
--- setup
gen_file("$TEST_NGINX_TMP/z300k", 300 * 1024, 5);
--- check
# paths of ~3800 bytes: a slot takes a whole 4k page of the 32k zone
my $dir = join '/', map { ("d$_" . ("x" x 240)) } 1 .. 15;
my @pids = map {
    main::bg_curl('--limit-rate', '100k', '-o', "$TEST_NGINX_TMP/z$_.out", '-T', "$TEST_NGINX_TMP/z300k",
                  "http://127.0.0.1:$TEST_NGINX_PORT/upload/$dir/f$_")
} 1 .. 8;
my ($j, $max) = (undef, 0);
for (1 .. 30) {
    my ($st, $h, $body) = http_request(uri => "/bigupload-status");
    $j = decode_json($body);
    $max = @{ $j->{uploads} } if @{ $j->{uploads} } > $max;
    last if $j->{zone}{untracked} > 0 && @{ $j->{uploads} } > 0;
    sleep 0.1;
}
cmp_ok($j->{zone}{untracked}, '>', 0, "some uploads went untracked");
cmp_ok($max, '>', 0, "others are listed");
cmp_ok($max, '<', 8, "not all of them");
waitpid($_, 0) for @pids;
my $sha = sha256_file("$TEST_NGINX_TMP/z300k");
for my $n (1 .. 8) {
    open my $fh, '<', "$TEST_NGINX_TMP/z$n.out" or die;
    my $out = <$fh>;
    like($out, qr/"sha256":"$sha"/, "upload $n stored");
    is(sha256_file(store_path("$dir/f$n")), $sha, "upload $n byte for byte");
}
my ($st, $h, $body) = http_request(uri => "/bigupload-status?format=prometheus");
like($body, qr/^bigupload_status_untracked_total [1-9]\d*$/m, "counted in Prometheus too");
like($body, qr/^bigupload_uploads_completed_total 8$/m, "all eight completed");
--- no_error_log
[crit]
[alert]



=== TEST 10: bigupload_status and bigupload cannot share a location
--- config
location /upload/ {
    bigupload;
    bigupload_status;
}
--- must_die
--- error_log
"bigupload_status" directive conflicts with another handler of this location



=== TEST 11: a SIGKILLed worker's plain upload: its replacement removes the temp file
--- setup
gen_file("$TEST_NGINX_TMP/f2m", 2 * 1048576, 4);
--- check
my $pid = main::bg_curl('--no-progress-meter', '--limit-rate', '256k', '-T', "$TEST_NGINX_TMP/f2m",
                        "http://127.0.0.1:$TEST_NGINX_PORT/upload/sub/plain.bin");
my $j;
for (1 .. 50) {
    my ($st, $h, $body) = http_request(uri => "/bigupload-status");
    $j = decode_json($body);
    last if @{ $j->{uploads} } && $j->{uploads}[0]{received} > 0;
    sleep 0.1;
}
is(scalar @{ $j->{uploads} }, 1, "in flight");
opendir my $d, store_path("sub") or die;
my @temps = grep { /^\.bigupload-/ } readdir $d;
is(scalar @temps, 1, "its temp file is there");
kill 'KILL', $j->{uploads}[0]{pid};
waitpid($pid, 0);
my $gone;
for (1 .. 50) { $gone = !-e store_path("sub/$temps[0]"); last if $gone; sleep 0.1; }
ok($gone, "removed by the next worker");
ok(!-e store_path("sub/plain.bin"), "and no half file at the target");
--- error_log eval
[qr/bigupload: removed "[^"]*\/sub\/\.bigupload-[0-9a-f]+", left by worker \d+ which died/]
--- no_error_log
[crit]



=== TEST 12: partials removed by bigupload_expire are counted as expired
--- config
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
    bigupload_expire 1s;
}
location = /bigupload-status {
    bigupload_status;
}
--- check
my ($st) = http_request(method => 'PUT', uri => "/upload/old.bin", body => "o" x 10,
                        headers => { 'Upload-Key' => 'k', 'Content-Range' => 'bytes 0-9/20' });
is($st, 204, "a partial");
my $j;
for (1 .. 60) {
    my ($s, $h, $body) = http_request(uri => "/bigupload-status");
    $j = decode_json($body);
    last if $j->{counters}{expired} > 0;
    sleep 0.1;
}
is($j->{counters}{expired}, 1, "expired");
is_deeply($j->{partials}, [], "and no longer listed");
my ($ps, $ph, $text) = http_request(uri => "/bigupload-status?format=prometheus");
like($text, qr/^bigupload_partials_expired_total 1$/m, "in Prometheus too");



=== TEST 13: a reload keeps the counters and the uploads in flight; the old worker finishes its upload
--- setup
gen_file("$TEST_NGINX_TMP/r1m", 1048576, 6);
--- check
my ($st) = http_request(method => 'PUT', uri => "/upload/before.bin", body => "b" x 100);
is($st, 201, "an upload before the reload");
my $pid = main::bg_curl('--limit-rate', '300k', '-T', "$TEST_NGINX_TMP/r1m",
                        "http://127.0.0.1:$TEST_NGINX_PORT/upload/during.bin");
my $j;
for (1 .. 50) {
    my ($s, $h, $body) = http_request(uri => "/bigupload-status");
    $j = decode_json($body);
    last if @{ $j->{uploads} } && $j->{uploads}[0]{received} > 0;
    sleep 0.1;
}
my $old = $j->{uploads}[0]{pid};
open my $fh, '<', "$TEST_NGINX_SERVROOT/logs/nginx.pid" or die;
chomp(my $master = <$fh>);
kill 'HUP', $master;
# the new worker answers the status, the old one still receives the body
my $seen_new;
for (1 .. 50) {
    my ($s, $h, $body) = http_request(uri => "/bigupload-status");
    $j = decode_json($body) if $s == 200;
    if ($s == 200 && @{ $j->{uploads} } && kill(0, $old)) {
        # a status answered while the old worker is still busy
        $seen_new = 1 if $j->{uploads}[0]{pid} == $old;
    }
    last if $seen_new;
    sleep 0.1;
}
ok($seen_new, "the old worker's upload is still listed after the reload");
waitpid($pid, 0);
is($?, 0, "and completes");
for (1 .. 50) {
    my ($s, $h, $body) = http_request(uri => "/bigupload-status");
    $j = decode_json($body);
    last if $j->{counters}{completed} == 2;
    sleep 0.1;
}
is($j->{counters}{completed}, 2, "counted with the one before the reload");
is(sha256_file(store_path("during.bin")), sha256_file("$TEST_NGINX_TMP/r1m"), "stored byte for byte");
--- no_error_log
[crit]
[alert]



=== TEST 14: with a cache manager process (proxy_cache_path), nothing but workers sweeps or reaps
--- http_config
proxy_cache_path $TEST_NGINX_SERVROOT/cache keys_zone=c:1m;
--- request
GET /bigupload-status
--- wait: 2.5
--- error_code: 200
--- no_error_log
exited on signal
[alert]



=== TEST 15: the rate is over the last second: above 0 while bytes flow, exactly 0 within 3 s of a stall
--- setup
gen_file("$TEST_NGINX_TMP/st2m", 2 * 1048576, 7);
--- check
use IO::Socket::INET;
use Time::HiRes ();
my $f = "$TEST_NGINX_TMP/st2m";
open my $in, '<:raw', $f or die;
my $body = do { local $/; <$in> };
my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $TEST_NGINX_PORT) or die "connect: $!";
$sock->autoflush(1);
print $sock "PUT /upload/stall.bin HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
            . "Content-Length: " . length($body) . "\r\n\r\n";
my $up = sub {
    my ($st, $h, $b) = http_request(uri => "/bigupload-status");
    die "status answered $st" unless $st == 200;
    return decode_json($b)->{uploads}[0];
};
# 16 KiB every 50 ms until the status has shown a rate above 0 three times
my ($sent, @flowing) = (0);
my $deadline = Time::HiRes::time() + 10;
while (@flowing < 3 && $sent < 1048576 && Time::HiRes::time() < $deadline) {
    print $sock substr($body, $sent, 16384);
    $sent += 16384;
    sleep 0.05;
    my $u = $up->();
    push @flowing, $u->{rate} if $u && $u->{rate} > 0;
}
is(scalar @flowing, 3, "a rate above 0 while bytes flow");
# the stall: polled every 100 ms, until the rate is 0 or 3 s have passed
my $stalled = Time::HiRes::time();
my $u;
while (Time::HiRes::time() < $stalled + 3) {
    $u = $up->();
    last if !$u || $u->{rate} == 0;
    sleep 0.1;
}
ok($u, "the stalled upload is still listed");
is($u->{rate}, 0, "its rate is exactly 0 within 3 s of its last byte");
Test::More::note(sprintf "rates while flowing: %s; 0 after %.1f s of stall",
             "@flowing", Time::HiRes::time() - $stalled);
is($u->{received}, $sent, "every byte sent was received");
# it resumes, and ends well
print $sock substr($body, $sent);
my $answer = do { local $/; <$sock> };
like($answer, qr{^HTTP/1\.1 201 }, "stored once the rest arrives");
is(sha256_file(store_path("stall.bin")), sha256_file($f), "byte for byte");



=== TEST 16: a slow upload holds no buffer while its client pauses, not the configured ring ("buffered"), and what it sent is in the file
--- config
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
    bigupload_buffers 4 1m;
}
location = /bigupload-status {
    bigupload_status;
}
--- setup
gen_file("$TEST_NGINX_TMP/f3m", 3 * 1048576, 7);
--- check
use IO::Socket::INET;
my $f = "$TEST_NGINX_TMP/f3m";
open my $fh, '<:raw', $f or die "$f: $!";
my $data = do { local $/; <$fh> };
close $fh;
my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$TEST_NGINX_PORT") or die "connect: $!";
$s->autoflush(1);
print $s "PUT /upload/slow.bin HTTP/1.1\r\nHost: localhost\r\n"
       . "Content-Length: " . length($data) . "\r\nConnection: close\r\n\r\n";
# 40 KiB, then a pause: two 16 KiB buffers full, hashed, written and given
# back; the third, holding the last 8 KiB, is written out and given back
# once the client has sent nothing for a moment (10 ms)
print $s substr($data, 0, 40960);
my ($up, @tmp);
wait_until(sub {
    my ($st, $h, $body) = http_request(uri => "/bigupload-status");
    $up = decode_json($body)->{uploads}[0];
    @tmp = glob(store_path(".bigupload-*"));
    return $up && $up->{received} == 40960 && $up->{buffered} == 0
        && @tmp == 1 && -s $tmp[0] == 40960;
}, 10);
is($up->{received}, 40960, "the upload in flight received what was sent");
is($up->{buffered}, 0, "and holds no buffer while its client waits (the ring is 4 x 1m)");
is(scalar @tmp, 1, "its temp file is in the store");
is(-s $tmp[0], 40960, "and holds every byte sent, the partly filled buffer's too");
print $s substr($data, 40960, 1000);
# the next piece is read into a buffer again, and written out on the next pause
wait_until(sub {
    my ($st, $h, $body) = http_request(uri => "/bigupload-status");
    $up = decode_json($body)->{uploads}[0];
    return $up && $up->{received} == 41960 && $up->{buffered} == 0 && -s $tmp[0] == 41960;
}, 10);
is(-s $tmp[0], 41960, "a piece after the pause is written out on the next one");
print $s substr($data, 41960);
my $answer = do { local $/; <$s> };
like($answer, qr{\AHTTP/1\.1 201 }, "created once the rest came");
is(sha256_file(store_path("slow.bin")), sha256_file($f), "stored byte for byte");
--- no_error_log
[crit]
[alert]
