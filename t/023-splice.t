# The zero-copy body path (bigupload_splice): the rest of a Content-Length
# body over HTTP/1.x without TLS goes from the socket into the file by
# splice(2).  $bigupload_spliced says how many bytes did; everything else
# about an upload is as on the ring path (make test-ring runs the body
# tests of the other files with bigupload_splice off).
use lib 't/lib';
use Test::BigUpload;

default_sections(http_config => <<'_EOH_', config => <<'_EOC_');
log_format up '$request_method $uri $status bytes=$bigupload_bytes spliced=$bigupload_spliced c=$connection/$connection_requests';
_EOH_
access_log $TEST_NGINX_SERVROOT/logs/up.log up;
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
}
location /ring/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
    bigupload_splice off;
}
location /files/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
    bigupload_protocols tus;
}
_EOC_

# a generated file of $size bytes under the block's temp dir, and its sha256
sub body_file {
    my ($name, $size, $seed) = @_;
    my $f = tmp_dir() . "/$name";
    gen_file($f, $size, $seed);
    return ($f, sha256_file($f));
}

# curl's status code and output for the arguments
sub curl {
    my $out = `curl -sS -w '\\n%{http_code}' @_ 2>&1`;
    my ($body, $code) = $out =~ /\A(.*)\n(\d+)\z/s;
    return ($code // 0, $body // $out);
}

# the access log from now on (nginx appends to it: it may be cut)
sub fresh_log {
    truncate servroot() . "/logs/up.log", 0;
}

# the access log's n-th line (from 0) of this block, split into its
# fields; or, with a method, the n-th line of that method
sub logged {
    my ($i, $method) = @_;
    my @l;
    wait_until(sub {
        @l = grep { !$method || /^$method / } log_lines('up.log', $i + 1);
        @l > $i }, 5);
    my ($m, $uri, $st, $bytes, $spliced, $conn) =
        ($l[$i] // '') =~ /^(\S+) (\S+) (\d+) bytes=(\d*) spliced=(\d*) c=(\S+)$/;
    return { status => $st, bytes => $bytes, spliced => $spliced, conn => $conn };
}

run_tests();

__DATA__

=== TEST 1: a Content-Length body is spliced into the file: stored byte for byte, and the log says how much went by splice
--- check
main::fresh_log();
my ($f, $sha) = main::body_file('a.bin', '64m', 1);
my ($code, $out) = main::curl("-T $f http://127.0.0.1:$TEST_NGINX_PORT/upload/a.bin");
is($code, 201, "stored");
like($out, qr/"sha256":"$sha"/, "the answer's sha256 is the file's");
is(sha256_file(store_path('a.bin')), $sha, "byte for byte");
my $l = main::logged(0);
is($l->{bytes}, 67108864, "every byte received");
cmp_ok($l->{spliced}, '>', 60 * 1048576, "nearly all of them spliced (what nginx read with the header went through the ring)");
cmp_ok($l->{spliced}, '<=', 67108864, "no more than the body");
--- no_error_log
[crit]
[alert]



=== TEST 2: without 100-continue nginx reads the first bytes with the header: those go through the ring, the rest by splice, in order
--- check
main::fresh_log();
my ($f, $sha) = main::body_file('b.bin', '24m', 2);
my ($code) = main::curl("-H 'Expect:' -T $f http://127.0.0.1:$TEST_NGINX_PORT/upload/b.bin");
is($code, 201, "stored");
is(sha256_file(store_path('b.bin')), $sha, "byte for byte");
my $l = main::logged(0);
is($l->{bytes}, 25165824, "every byte received");
cmp_ok($l->{spliced}, '>', 0, "spliced");
cmp_ok($l->{spliced}, '<', 25165824, "but not the first bytes");
--- no_error_log
[crit]
[alert]



=== TEST 3: bigupload_splice off: the same body through the ring, nothing spliced
--- check
main::fresh_log();
my ($f, $sha) = main::body_file('c.bin', '24m', 3);
my ($code, $out) = main::curl("-T $f http://127.0.0.1:$TEST_NGINX_PORT/ring/c.bin");
is($code, 201, "stored");
is(sha256_file(store_path('c.bin')), $sha, "byte for byte");
my $l = main::logged(0);
is($l->{bytes}, 25165824, "every byte received");
is($l->{spliced}, 0, "none spliced");
--- no_error_log
[crit]
[alert]



=== TEST 4: a chunked body and an HTTP/2 body keep the ring
--- check
main::fresh_log();
my ($f, $sha) = main::body_file('d.bin', '12m', 4);
my ($code) = main::curl("-H 'Transfer-Encoding: chunked' -T $f http://127.0.0.1:$TEST_NGINX_PORT/upload/chunked.bin");
is($code, 201, "chunked: stored");
is(sha256_file(store_path('chunked.bin')), $sha, "chunked: byte for byte");
is(main::logged(0)->{spliced}, 0, "chunked: none spliced");
($code) = main::curl("--http2-prior-knowledge -T $f http://127.0.0.1:$TEST_NGINX_H2_PORT/upload/h2.bin");
is($code, 201, "HTTP/2: stored");
is(sha256_file(store_path('h2.bin')), $sha, "HTTP/2: byte for byte");
is(main::logged(1)->{spliced}, 0, "HTTP/2: none spliced");
--- no_error_log
[crit]
[alert]



=== TEST 5: the connection stays open after a spliced body: the next request on it is read as nginx would
--- check
main::fresh_log();
my ($f1, $sha1) = main::body_file('e1.bin', '20m', 5);
my ($f2, $sha2) = main::body_file('e2.bin', '20m', 6);
my $out = `curl -sS -o /dev/null -o /dev/null -w '%{http_code}\\n' -T $f1 http://127.0.0.1:$TEST_NGINX_PORT/upload/e1.bin -T $f2 http://127.0.0.1:$TEST_NGINX_PORT/upload/e2.bin 2>&1`;
is($out, "201\n201\n", "both stored");
is(sha256_file(store_path('e1.bin')), $sha1, "the first byte for byte");
is(sha256_file(store_path('e2.bin')), $sha2, "the second byte for byte");
my ($a, $b) = (main::logged(0), main::logged(1));
cmp_ok($a->{spliced}, '>', 0, "the first spliced");
cmp_ok($b->{spliced}, '>', 0, "the second spliced");
my ($ca, $na) = split m{/}, $a->{conn};
my ($cb, $nb) = split m{/}, $b->{conn};
is($cb, $ca, "one connection");
is("$na $nb", "1 2", "its first and second request");
--- no_error_log
[crit]
[alert]



=== TEST 6: a resumable body cut short while spliced keeps every byte that arrived, and resumes
--- check
main::fresh_log();
my $body = join '', map { chr(($_ * 13) % 251) } 0 .. 4999999;
http_request(method => 'PUT', uri => '/upload/cut.bin',
    headers => { 'Upload-Key' => 'cut', 'Content-Length' => 8000000 },
    body => $body, abort_after => 5000000);
my ($st, $h);
wait_until(sub {
    ($st, $h) = http_request(method => 'HEAD', uri => '/upload/cut.bin', headers => { 'Upload-Key' => 'cut' });
    ($h->{'upload-offset'} // 0) == 5000000 }, 5);
is($st, 204, "the partial is there");
is($h->{'upload-offset'}, 5000000, "all 5,000,000 bytes kept");
my $l = main::logged(0, 'PUT');
is($l->{bytes}, 5000000, "5,000,000 bytes received");
cmp_ok($l->{spliced}, '>', 0, "spliced");
my $rest = join '', map { chr(($_ * 13) % 251) } 5000000 .. 7999999;
my ($s2) = http_request(method => 'PUT', uri => '/upload/cut.bin',
    headers => { 'Upload-Key' => 'cut', 'Content-Range' => 'bytes 5000000-7999999/8000000' },
    body => $rest);
is($s2, 201, "the rest completes it");
my $all = join '', map { chr(($_ * 13) % 251) } 0 .. 7999999;
is(sha256_file(store_path('cut.bin')), sha256_hex($all), "byte for byte");
--- no_error_log
[crit]
[alert]



=== TEST 7: a plain body cut short while spliced stores nothing and leaves no temp file
--- check
main::fresh_log();
http_request(method => 'PUT', uri => '/upload/gone.bin',
    headers => { 'Content-Length' => 8000000 },
    body => 'g' x 3000000, abort_after => 3000000);
my $l;
wait_until(sub { $l = main::logged(0); defined $l->{status} }, 5);
cmp_ok($l->{spliced}, '>', 0, "spliced");
ok(!-e store_path('gone.bin'), "not stored");
--- no_error_log
[crit]
[alert]



=== TEST 8: a client that stalls while its body is spliced is timed out (client_body_timeout), and nothing is kept
--- config
access_log $TEST_NGINX_SERVROOT/logs/up.log up;
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
    client_body_timeout 1s;
}
--- check
main::fresh_log();
use IO::Socket::INET;
my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$TEST_NGINX_PORT") or die "connect: $!";
print $s "PUT /upload/stalled.bin HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5000000\r\n\r\n";
print $s 's' x 2000000;
my $answer = '';
local $SIG{ALRM} = sub { die "no answer\n" };
alarm 10;
while (sysread($s, my $buf, 65536)) { $answer .= $buf; }
alarm 0;
like($answer, qr{\AHTTP/1\.1 408 }, "answered 408 Request Time-out");
my $l = main::logged(0);
is($l->{status}, 408, "logged as 408");
cmp_ok($l->{spliced}, '>', 0, "it was spliced");
ok(!-e store_path('stalled.bin'), "not stored");
--- error_log
client timed out
--- no_error_log
[alert]



=== TEST 9: a tus PATCH is spliced into its upload resource
--- check
main::fresh_log();
my ($f, $sha) = main::body_file('t.bin', '16m', 9);
my $head = `curl -sS -i -X POST -H 'Tus-Resumable: 1.0.0' -H 'Upload-Length: 16777216' -H 'Upload-Metadata: filename dC5iaW4=' http://127.0.0.1:$TEST_NGINX_PORT/files/ 2>&1`;
my ($loc) = $head =~ /^Location: (\S+)/mi;
ok($loc, "created") or diag $head;
$loc = "http://127.0.0.1:$TEST_NGINX_PORT$loc" if $loc =~ m{^/};
my $out = `curl -sS -o /dev/null -w '%{http_code}' -X PATCH -H 'Tus-Resumable: 1.0.0' -H 'Upload-Offset: 0' -H 'Content-Type: application/offset+octet-stream' --data-binary \@$f $loc 2>&1`;
is($out, 204, "the whole body in one PATCH");
my $l = main::logged(0, 'PATCH');
is($l->{bytes}, 16777216, "every byte received");
cmp_ok($l->{spliced}, '>', 0, "spliced");
is(sha256_file(store_path('t.bin')), $sha, "stored byte for byte");
--- temp_files_allowed
--- no_error_log
[crit]
[alert]
