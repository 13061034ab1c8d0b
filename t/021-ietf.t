# The IETF resumable-upload draft (draft-ietf-httpbis-resumable-upload), a
# conformance set written from the draft texts, for every interop version a
# client may send: 3 (-01), 4 (-02), 5 (-03), 6 (-04, -05), 7 (-06..-08),
# 8 (-09..-11).  Each block runs its checks for every version; what a
# version's text requires is spelled out here, not taken from the module's
# table.  "-05 4" is section 4 of draft-ietf-httpbis-resumable-upload-05.
use lib 't/lib';
use Test::BigUpload;
use IO::Socket::INET;
use IO::Select;
use Digest::SHA qw(sha512);
use MIME::Base64 qw(encode_base64);

our @V = (3 .. 8);

# the version's completeness field and its value for "complete"
sub cfield { $_[0] == 3 ? 'Upload-Incomplete' : 'Upload-Complete' }
sub cval   { my ($v, $complete) = @_; ($v == 3 ? !$complete : $complete) ? '?1' : '?0' }
sub chdr   { my ($v, $complete) = @_; (cfield($v) => cval($v, $complete)) }

# headers of a request in version $v
sub vh { my ($v, %h) = @_; return { 'Upload-Draft-Interop-Version' => $v, %h } }

# an append's headers (-04 on: application/partial-upload)
sub ah {
    my ($v, $offset, $complete, %h) = @_;
    return vh($v, 'Upload-Offset' => $offset, chdr($v, $complete),
              ($v >= 6 ? ('Content-Type' => 'application/partial-upload') : ()), %h);
}

# a creation of $body with completeness $complete; returns the response
# (with {url}: the upload resource's path, from the 104 or the final answer)
sub create {
    my ($v, $uri, $body, $complete, %h) = @_;
    my $r = http_request(method => 'POST', uri => $uri, body => $body,
                         headers => vh($v, chdr($v, $complete), %h));
    ($r->{url}) = $r->{raw} =~ m{^Location: (/upload/\.bigupload/[0-9a-f]{32})\r$}m;
    return $r;
}

# the 104s of a raw response: a list of { name => value } (lowercased names)
sub interims {
    my ($raw) = @_;
    my @out;
    while ($raw =~ m{HTTP/1\.1 104 Upload Resumption Supported\r\n(.*?)\r\n\r\n}sg) {
        my %h = map { /^([^:]+):\s*(.*)$/ ? (lc $1 => $2) : () } split /\r\n/, $1;
        push @out, \%h;
    }
    return @out;
}

sub file_content { open my $f, '<', $_[0] or return undef; local $/; binmode $f; scalar <$f> }

sub b64 { encode_base64($_[0], '') }

default_sections(config => <<'_EOC_');
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
}
_EOC_

run_tests();

__DATA__

=== TEST 1: a creation that completes ("Upload-Complete: ?1"): a 104 first, then what a plain PUT gets
--- check
for my $v (@V) {
    my $body = "v$v-" . ("a" x 5000);
    my $r = main::create($v, "/upload/c$v.bin", $body, 1);
    is($r->{status}, 201, "v$v: 201 Created");
    my @i = main::interims($r->{raw});
    is(scalar @i, 1, "v$v: one 104");
    is($i[0]{'upload-draft-interop-version'}, $v, "v$v: the 104 names the version (-01 Draft Version Identification)");
    like($i[0]{location}, qr{^/upload/\.bigupload/[0-9a-f]{32}$}, "v$v: the 104 has the upload resource's Location");
    ok(index($r->{raw}, "104 Upload") < index($r->{raw}, "201 Created"), "v$v: the 104 precedes the final answer");
    # -01..-05 4: "the server MUST include the Location header field in the
    # response and set its value to the URL of the upload resource"; -06 on:
    # the completed upload's answer is the target resource's
    is($r->{headers}{location}, $v <= 6 ? $i[0]{location} : "/upload/c$v.bin", "v$v: Location");
    is($r->{body}, qq({"path":"/c$v.bin","size":@{[length $body]},"sha256":"@{[sha256_hex($body)]}"}\n), "v$v: the plain PUT's JSON");
    is($r->{headers}{'repr-digest'}, "sha-256=:" . main::b64(Digest::SHA::sha256($body)) . ":", "v$v: Repr-Digest");
    is($r->{headers}{lc main::cfield($v)}, main::cval($v, 1), "v$v: completeness field says complete");
    is($r->{headers}{'upload-offset'}, length $body, "v$v: Upload-Offset (required by -01..-05)");
    is(main::file_content(store_path("c$v.bin")), $body, "v$v: stored byte for byte");
    ok(!-e store_path(".bigupload/" . substr($i[0]{location}, -32) . ".data"), "v$v: no partial left");
}
--- no_error_log
[error]
[alert]



=== TEST 2: a creation that does not complete ("?0"): 201 with Location, the offset and the limits
--- config
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
    bigupload_max_size 1m;
    bigupload_expire 2h;
}
--- temp_files_allowed
--- check
for my $v (@V) {
    my $r = main::create($v, "/upload/p$v.bin", "x" x 300, 0);
    is($r->{status}, 201, "v$v: 201 Created");
    ok($r->{url}, "v$v: Location is an upload resource");
    my @i = main::interims($r->{raw});
    is($i[0]{location}, $r->{url}, "v$v: the 104's Location is the final answer's (-09 4.2.2: identical)");
    is($r->{headers}{lc main::cfield($v)}, main::cval($v, 0), "v$v: completeness field says incomplete");
    is($r->{headers}{'upload-offset'}, 300, "v$v: Upload-Offset");
    # Upload-Limit exists from -04 (v6) on; "max-age" replaced "expires" in -06
    my $lifetime = $v == 6 ? 'expires' : 'max-age';
    is($r->{headers}{'upload-limit'}, $v >= 6 ? "max-size=1048576, $lifetime=7200" : undef, "v$v: Upload-Limit");
    is($i[0]{'upload-limit'}, $v >= 6 ? "max-size=1048576, $lifetime=7200" : undef, "v$v: Upload-Limit in the 104 (-09: MUST)");
    ok(!-e store_path("p$v.bin"), "v$v: nothing at the target yet");
}



=== TEST 3: offset retrieval (HEAD): offset, completeness, length, limits, no-store
--- config
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
    bigupload_max_size 1m;
}
--- temp_files_allowed
--- check
for my $v (@V) {
    my $r = main::create($v, "/upload/h$v.bin", "x" x 100, 0, ($v >= 6 ? ('Upload-Length' => 400) : ()));
    my ($st, $h) = http_request(method => 'HEAD', uri => $r->{url}, headers => main::vh($v));
    # -01/-02 5: "MUST send back a 204"; -03..-05: 200 or 204; -06 on: 2xx
    is($st, 204, "v$v: 204");
    is($h->{'upload-offset'}, 100, "v$v: Upload-Offset");
    is($h->{lc main::cfield($v)}, main::cval($v, 0), "v$v: incomplete");
    is($h->{'upload-length'}, $v >= 6 ? 400 : undef, "v$v: Upload-Length once it exists (-05 on)");
    is($h->{'cache-control'}, 'no-store', "v$v: Cache-Control: no-store");
    like($h->{'upload-limit'} // '', $v >= 6 ? qr/^max-size=1048576, (expires|max-age)=8640\d$/ : qr/^$/, "v$v: Upload-Limit with the time left");
    # -01..-05: HEAD MUST NOT carry Upload-Offset / the completeness field (400)
    my ($st2) = http_request(method => 'HEAD', uri => $r->{url}, headers => main::vh($v, 'Upload-Offset' => 0));
    is($st2, $v <= 6 ? 400 : 204, "v$v: HEAD with Upload-Offset");
    my ($st3) = http_request(method => 'HEAD', uri => "/upload/.bigupload/" . ("0" x 32), headers => main::vh($v));
    is($st3, 404, "v$v: an unknown upload resource is 404");
}



=== TEST 4: appends (PATCH): incomplete then completing, in each version's terms
--- check
for my $v (@V) {
    my $r = main::create($v, "/upload/a$v.bin", "one-", 0);
    my ($st, $h, $b) = http_request(method => 'PATCH', uri => $r->{url}, body => "two-",
                                    headers => main::ah($v, 4, 0));
    # -01..-05: "201 (Created)" with the completeness field false; -06 on: 2xx
    is($st, $v <= 6 ? 201 : 204, "v$v: an incomplete append");
    is($h->{'upload-offset'}, 8, "v$v: its Upload-Offset");
    is($h->{lc main::cfield($v)}, main::cval($v, 0), "v$v: still incomplete");
    ($st, $h, $b) = http_request(method => 'PATCH', uri => $r->{url}, body => "three",
                                 headers => main::ah($v, 8, 1));
    is($st, 201, "v$v: the completing append gets the target's answer");
    is($h->{lc main::cfield($v)}, main::cval($v, 1), "v$v: with the completeness field true (-06 4.4.2: MUST)");
    is($h->{location}, "/upload/a$v.bin", "v$v: the file's Location");
    is($b, qq({"path":"/a$v.bin","size":13,"sha256":"@{[sha256_hex("one-two-three")]}"}\n), "v$v: JSON");
    is(main::file_content(store_path("a$v.bin")), "one-two-three", "v$v: stored");
    my ($st2) = http_request(method => 'HEAD', uri => $r->{url}, headers => main::vh($v));
    is($st2, 404, "v$v: the upload resource is gone once complete");
}
--- no_error_log
[error]



=== TEST 5: the completeness field of an append: absent completes in v3, continues in v4-6, is refused from v7
--- temp_files_allowed
--- check
for my $v (@V) {
    my $r = main::create($v, "/upload/n$v.bin", "abc", 0);
    my %h = %{ main::ah($v, 3, 0) };
    delete $h{main::cfield($v)};
    my ($st, $hd) = http_request(method => 'PATCH', uri => $r->{url}, body => "def", headers => \%h);
    if ($v == 3) {
        is($st, 201, "v3: -01 6: an append without Upload-Incomplete ends the upload");
        is(main::file_content(store_path("n3.bin")), "abcdef", "v3: stored");
    } elsif ($v <= 6) {
        is($st, 201, "v$v: without Upload-Complete: more follows");
        is($hd->{'upload-offset'}, 6, "v$v: offset");
        ok(!-e store_path("n$v.bin"), "v$v: not complete");
    } else {
        is($st, 400, "v$v: -06 4.4.1: the request MUST include Upload-Complete");
        my ($s2, $h2) = http_request(method => 'HEAD', uri => $r->{url}, headers => main::vh($v));
        is($h2->{'upload-offset'}, 3, "v$v: nothing appended");
    }
}



=== TEST 6: a wrong offset: 409 with the correct Upload-Offset, and mismatching-upload-offset from v6
--- temp_files_allowed
--- check
for my $v (@V) {
    my $r = main::create($v, "/upload/o$v.bin", "x" x 10, 0);
    my ($st, $h, $b) = http_request(method => 'PATCH', uri => $r->{url}, body => "y" x 10,
                                    headers => main::ah($v, 5, 0));
    is($st, 409, "v$v: 409 Conflict");
    is($h->{'upload-offset'}, 10, "v$v: the correct offset");
    if ($v >= 6) {
        is($h->{'content-type'}, 'application/problem+json', "v$v: a problem");
        like($b, qr{"type":"https://iana\.org/assignments/http-problem-types#mismatching-upload-offset"}, "v$v: its type");
        like($b, qr{"expected-offset":10,"provided-offset":5}, "v$v: expected and provided offsets");
    } else {
        unlike($b, qr/problem-types/, "v$v: no problem type yet (-04 defined them)");
    }
    my (undef, $h2) = http_request(method => 'HEAD', uri => $r->{url}, headers => main::vh($v));
    is($h2->{'upload-offset'}, 10, "v$v: nothing appended");
}



=== TEST 7: an interrupted append keeps its contiguous prefix; HEAD tells it; the rest completes the file
--- setup
gen_file("$TEST_NGINX_TMP/f3m", 3 * 1048576, 7);
--- check
my $data = main::file_content("$TEST_NGINX_TMP/f3m");
for my $v (@V) {
    my $r = main::create($v, "/upload/i$v.bin", substr($data, 0, 1000), 0, ($v >= 6 ? ('Upload-Length' => length $data) : ()));
    http_request(method => 'PATCH', uri => $r->{url}, body => substr($data, 1000),
                 headers => main::ah($v, 1000, 1), abort_after => 1048576);
    my $h;
    wait_until(sub { my $s; ($s, $h) = http_request(method => 'HEAD', uri => $r->{url}, headers => main::vh($v));
                     $s == 204 && $h->{'upload-offset'} > 1000 }, 5);
    my $off = $h->{'upload-offset'};
    cmp_ok($off, '>', 1000, "v$v: the interrupted append kept a prefix ($off)");
    cmp_ok($off, '<=', 1000 + 1048576, "v$v: no more than was sent");
    is($h->{lc main::cfield($v)}, main::cval($v, 0), "v$v: not complete (-09 4.4.2: MUST NOT be considered complete)");
    my ($st, undef, $b) = http_request(method => 'PATCH', uri => $r->{url}, body => substr($data, $off),
                                       headers => main::ah($v, $off, 1));
    is($st, 201, "v$v: the rest completes it");
    like($b, qr/"sha256":"@{[ sha256_hex($data) ]}"/, "v$v: true sha256");
    is(sha256_file(store_path("i$v.bin")), sha256_hex($data), "v$v: byte-identical");
}
--- no_error_log
[alert]
[crit]



=== TEST 8: a creation broken mid-body resumes from the 104's Location: the draft's "done when"
--- setup
gen_file("$TEST_NGINX_TMP/f2m", 2 * 1048576, 8);
--- check
my $data = main::file_content("$TEST_NGINX_TMP/f2m");
for my $v (@V) {
    # the client dies during its very first request; all it kept is the 104
    my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $TEST_NGINX_PORT) or die;
    binmode $sock;
    print $sock "POST /upload/r$v.bin HTTP/1.1\r\nHost: localhost\r\nUpload-Draft-Interop-Version: $v\r\n"
        . main::cfield($v) . ": " . main::cval($v, 1) . "\r\nContent-Length: " . length($data) . "\r\n\r\n";
    my $in = '';
    while ($in !~ /\r\n\r\n/) { sysread($sock, $in, 4096, length $in) or last }
    like($in, qr{\AHTTP/1\.1 104 Upload Resumption Supported\r\n}, "v$v: the 104 came before any body byte was sent");
    my ($url) = $in =~ m{Location: (\S+)\r\n};
    print $sock substr($data, 0, 700000);
    close $sock;
    my $h;
    wait_until(sub { my $s; ($s, $h) = http_request(method => 'HEAD', uri => $url, headers => main::vh($v));
                     $s == 204 && $h->{'upload-offset'} > 0 }, 5);
    my $off = $h->{'upload-offset'};
    cmp_ok($off, '>', 0, "v$v: HEAD at the 104's Location finds $off bytes");
    my ($st, $hh, $b) = http_request(method => 'PATCH', uri => $url, body => substr($data, $off),
                                     headers => main::ah($v, $off, 1));
    is($st, 201, "v$v: PATCH finishes it");
    is(sha256_file(store_path("r$v.bin")), sha256_hex($data), "v$v: the byte-identical file is in the store");
}



=== TEST 9: Expect: 100-continue: the 104 first, then nginx's 100 Continue (-10 5: never omitted), before any body
--- check
for my $v (@V) {
    my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $TEST_NGINX_PORT) or die;
    binmode $sock;
    print $sock "PUT /upload/e$v.bin HTTP/1.1\r\nHost: localhost\r\nUpload-Draft-Interop-Version: $v\r\n"
        . main::cfield($v) . ": " . main::cval($v, 1) . "\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n";
    my $in = '';
    while ($in !~ /100 Continue\r\n\r\n/) { sysread($sock, $in, 4096, length $in) or last }
    like($in, qr{\AHTTP/1\.1 104 Upload Resumption Supported\r\n.*?\r\n\r\nHTTP/1\.1 100 Continue\r\n\r\n\z}s, "v$v: 104, then 100 Continue");
    print $sock "hello";
    while ($in !~ /"sha256"/) { sysread($sock, $in, 4096, length $in) or last }
    like($in, qr{HTTP/1\.1 201 Created}, "v$v: then the final answer");
    close $sock;
    is(main::file_content(store_path("e$v.bin")), "hello", "v$v: stored");
}



=== TEST 10: HTTP/1.0 gets no 1xx; the upload still works
--- check
my $r = http_request(method => 'POST', uri => '/upload/old.bin', body => "z" x 10, http_version => '1.0',
                     headers => main::vh(8, 'Upload-Complete' => '?1'));
is($r->{status}, 201, "stored");
unlike($r->{raw}, qr/104/, "no 104 for an HTTP/1.0 client");



=== TEST 11: a PATCH that is not application/partial-upload is refused from v6 (-04 6), accepted before
--- temp_files_allowed
--- check
for my $v (@V) {
    my $r = main::create($v, "/upload/m$v.bin", "a", 0);
    my %h = %{ main::ah($v, 1, 0) };
    $h{'Content-Type'} = 'application/offset+octet-stream';
    my ($st) = http_request(method => 'PATCH', uri => $r->{url}, body => "b", headers => \%h);
    is($st, $v >= 6 ? 415 : 201, "v$v: a PATCH of another type");
}



=== TEST 12: inconsistent lengths: 400, inconsistent-upload-length from v7 (-06 6.3)
--- temp_files_allowed
--- check
for my $v (6 .. 8) {
    # Upload-Length and Content-Length with "?1" disagree (-05 4: MUST match)
    my $r = main::create($v, "/upload/l$v.bin", "x" x 50, 1, 'Upload-Length' => 100);
    is($r->{status}, 400, "v$v: two lengths in one creation");
    if ($v >= 7) {
        like($r->{body}, qr{problem-types#inconsistent-upload-length}, "v$v: the problem type");
    }
    unlike($r->{raw}, qr/ 104 /, "v$v: no upload resource, no 104");
    ok(!-e store_path("l$v.bin"), "v$v: nothing stored");
    # a later request declares another length than the recorded one
    $r = main::create($v, "/upload/k$v.bin", "x" x 10, 0, 'Upload-Length' => 100);
    my ($st, $h, $b) = http_request(method => 'PATCH', uri => $r->{url}, body => "y" x 10,
                                    headers => main::ah($v, 10, 0, 'Upload-Length' => 200));
    is($st, 400, "v$v: a different Upload-Length later");
    like($b, $v >= 7 ? qr{inconsistent-upload-length} : qr{"error":"length_mismatch"}, "v$v: says why");
}
# before v6 Upload-Length is not a field: ignored
my $r = main::create(5, "/upload/l5.bin", "x" x 50, 1, 'Upload-Length' => 100);
is($r->{status}, 201, "v5: Upload-Length is no field of -03, ignored");



=== TEST 13: an append past the known length invalidates the upload from v7 (-08 4.4.2), is refused before
--- temp_files_allowed
--- check
for my $v (6 .. 8) {
    my $r = main::create($v, "/upload/x$v.bin", "x" x 10, 0, 'Upload-Length' => 20);
    my ($st, $h, $b) = http_request(method => 'PATCH', uri => $r->{url}, body => "y" x 30,
                                    headers => main::ah($v, 10, 0));
    is($st, 400, "v$v: refused");
    if ($v >= 7) {
        like($b, qr{inconsistent-upload-length}, "v$v: the problem type");
        my ($s2);
        wait_until(sub { ($s2) = http_request(method => 'HEAD', uri => $r->{url}, headers => main::vh($v)); $s2 == 404 }, 3);
        is($s2, 404, "v$v: the upload resource is invalid now");
    } else {
        my ($s2, $h2) = http_request(method => 'HEAD', uri => $r->{url}, headers => main::vh($v));
        is($h2->{'upload-offset'}, 10, "v$v: still there, nothing appended");
    }
}



=== TEST 14: DELETE cancels: 204, the partial is gone, the target never appears
--- check
for my $v (@V) {
    my $r = main::create($v, "/upload/d$v.bin", "x" x 100, 0);
    my $id = substr($r->{url}, -32);
    ok(-e store_path(".bigupload/$id.data"), "v$v: a partial");
    my ($st) = http_request(method => 'DELETE', uri => $r->{url}, headers => main::vh($v));
    is($st, 204, "v$v: 204 No Content");
    ok(!-e store_path(".bigupload/$id.data") && !-e store_path(".bigupload/$id.state"), "v$v: removed");
    my ($s2) = http_request(method => 'HEAD', uri => $r->{url}, headers => main::vh($v));
    is($s2, 404, "v$v: gone");
    my ($s3) = http_request(method => 'DELETE', uri => $r->{url}, headers => main::vh($v));
    is($s3, 404, "v$v: nothing to cancel");
    ok(!-e store_path("d$v.bin"), "v$v: no file");
}
--- error_log
bigupload: cancelled the upload resource



=== TEST 15: limits: max-size from bigupload_max_size, max-append-size from bigupload_max_append_size, 413 with Upload-Limit
--- config
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
    bigupload_max_size 1000;
    bigupload_max_append_size 100;
    bigupload_expire 1h;
}
--- temp_files_allowed
--- check
for my $v (6 .. 8) {
    my $lifetime = $v == 6 ? 'expires' : 'max-age';
    my $r = main::create($v, "/upload/big$v.bin", "x" x 10, 0, 'Upload-Length' => 2000);
    is($r->{status}, 413, "v$v: a length over max-size");
    is($r->{headers}{'upload-limit'}, "max-size=1000, max-append-size=100, $lifetime=3600", "v$v: Upload-Limit on the 413");
    unlike($r->{raw}, qr/ 104 /, "v$v: no 104 for a refused creation");
    $r = main::create($v, "/upload/s$v.bin", "x" x 10, 0);
    is($r->{headers}{'upload-limit'}, "max-size=1000, max-append-size=100, $lifetime=3600", "v$v: the creation's limits");
    my ($st, $h) = http_request(method => 'PATCH', uri => $r->{url}, body => "y" x 101, headers => main::ah($v, 10, 0));
    is($st, 413, "v$v: an append over max-append-size");
    is($h->{'upload-limit'}, "max-size=1000, max-append-size=100, $lifetime=3600", "v$v: with Upload-Limit");
    ($st) = http_request(method => 'PATCH', uri => $r->{url}, body => "y" x 100, headers => main::ah($v, 10, 0));
    ok($st == 201 || $st == 204, "v$v: an append of max-append-size is taken");
}
my ($st, $h) = http_request(method => 'OPTIONS', uri => '/upload/', headers => main::vh(8));
is($h->{'upload-limit'}, "max-size=1000, max-append-size=100, max-age=3600", "OPTIONS: Upload-Limit");
is($h->{'accept-patch'}, "application/partial-upload", "OPTIONS: Accept-Patch (-10 4.1.4)");



=== TEST 16: Content-Digest covers one request: a mismatch appends nothing
--- temp_files_allowed
--- check
for my $v (6 .. 8) {
    my $r = main::create($v, "/upload/cd$v.bin", "head-", 0);
    my ($st, $h, $b) = http_request(method => 'PATCH', uri => $r->{url}, body => "tail",
        headers => main::ah($v, 5, 1, 'Content-Digest' => "sha-256=:" . main::b64(Digest::SHA::sha256("TAIL")) . ":"));
    is($st, 400, "v$v: a body whose digest differs");
    like($b, qr/"error":"digest_mismatch"/, "v$v: says why");
    my (undef, $h2) = http_request(method => 'HEAD', uri => $r->{url}, headers => main::vh($v));
    is($h2->{'upload-offset'}, 5, "v$v: nothing of it appended");
    ($st, $h, $b) = http_request(method => 'PATCH', uri => $r->{url}, body => "tail",
        headers => main::ah($v, 5, 1, 'Content-Digest' => "sha-256=:" . main::b64(Digest::SHA::sha256("tail")) . ":"));
    is($st, 201, "v$v: the right digest is taken");
    is(main::file_content(store_path("cd$v.bin")), "head-tail", "v$v: stored");
}



=== TEST 17: Repr-Digest at creation covers the whole file: a mismatch at completion fails it and removes it
--- check
for my $v (6 .. 8) {
    my $good = "sha-256=:" . main::b64(Digest::SHA::sha256("0123456789")) . ":";
    my $bad = "sha-256=:" . main::b64(Digest::SHA::sha256("0123456780")) . ":";
    my $r = main::create($v, "/upload/rd$v.bin", "01234", 0, 'Repr-Digest' => $bad);
    my ($st, $h, $b) = http_request(method => 'PATCH', uri => $r->{url}, body => "56789", headers => main::ah($v, 5, 1));
    is($st, 409, "v$v: the file differs from its declared digest");
    like($b, qr/"error":"file_digest_mismatch"/, "v$v: says so");
    ok(!-e store_path("rd$v.bin"), "v$v: no file");
    my ($s2) = http_request(method => 'HEAD', uri => $r->{url}, headers => main::vh($v));
    is($s2, 404, "v$v: the upload is gone");
    $r = main::create($v, "/upload/rg$v.bin", "01234", 0, 'Repr-Digest' => "$good, sha-512=:" . main::b64(sha512("0123456789")) . ":");
    ($st, $h, $b) = http_request(method => 'PATCH', uri => $r->{url}, body => "56789", headers => main::ah($v, 5, 1));
    is($st, 201, "v$v: the declared digests match");
    is(main::file_content(store_path("rg$v.bin")), "0123456789", "v$v: stored");
}
--- error_log
differs from the Repr-Digest sent for it



=== TEST 18: Want-Repr-Digest: the answer has the digests asked for
--- check
my $r = main::create(8, "/upload/w.bin", "wanted", 1, 'Want-Repr-Digest' => 'sha-512=10, sha-256=1');
is($r->{status}, 201, "stored");
is($r->{headers}{'repr-digest'}, "sha-256=:" . main::b64(Digest::SHA::sha256("wanted")) . ":, sha-512=:" . main::b64(sha512("wanted")) . ":", "sha-256 and sha-512");



=== TEST 19: a creation at a directory takes the Content-Disposition filename (-09 4.2: inline)
--- check
my $r = main::create(8, "/upload/dir/", "named", 1, 'Content-Disposition' => q(inline; filename="fallback.txt"; filename*=UTF-8''r%C3%A9sum%C3%A9.txt));
is($r->{status}, 201, "stored");
is(main::file_content(store_path("dir/r\x{c3}\x{a9}sum\x{c3}\x{a9}.txt")), "named", "under filename*");
$r = main::create(8, "/upload/dir/", "x", 1);
is($r->{status}, 409, "a directory without a filename");
$r = main::create(8, "/upload/dir/", "x", 1, 'Content-Disposition' => 'inline; filename="../etc/passwd"');
is($r->{status}, 400, "a filename that is a path");
$r = main::create(8, "/upload/dir/", "x", 1, 'Content-Disposition' => 'inline; filename=".bigupload"');
is($r->{status}, 400, "a reserved name");



=== TEST 20: versions outside 3..8 are refused, with no 104 (-01: MUST NOT send a 104 for a mismatching version)
--- check
for my $bad (2, 9, 'abc') {
    my $r = http_request(method => 'POST', uri => '/upload/u.bin', body => "z",
                         headers => { 'Upload-Draft-Interop-Version' => $bad, 'Upload-Complete' => '?1' });
    is($r->{status}, 400, "version $bad: 400");
    unlike($r->{raw}, qr/ 104 /, "version $bad: no 104");
    ok(!-e store_path("u.bin"), "version $bad: nothing stored");
}
--- error_log
resumable-upload draft interop version "9" for "/upload/u.bin" refused



=== TEST 21: a new HEAD ends the request still in flight for the upload; its offset is final
--- temp_files_allowed
--- check
for my $v (5, 8) {
    my $r = main::create($v, "/upload/st$v.bin", "", 0, ($v >= 6 ? ('Upload-Length' => 1000000) : ()));
    # the old append: its headers and 300000 bytes, then silence (a half-open connection)
    my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $TEST_NGINX_PORT) or die;
    binmode $sock;
    my $ah = main::ah($v, 0, 1);
    print $sock "PATCH $r->{url} HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1000000\r\n"
        . join('', map { "$_: $ah->{$_}\r\n" } sort keys %$ah) . "\r\n" . ("s" x 300000);
    # until the server's kernel has all of it (our send queue is empty:
    # SIOCOUTQ), then a moment for nginx to read it from there
    wait_until(sub { my $q = pack('i', -1); ioctl($sock, 0x5411, $q) && unpack('i', $q) == 0 }, 10, 0.05);
    select(undef, undef, undef, 0.5);
    my ($st, $h) = http_request(method => 'HEAD', uri => $r->{url}, headers => main::vh($v));
    is($st, 204, "v$v: HEAD answers");
    is($h->{'upload-offset'}, 300000, "v$v: with everything the old request had received");
    # the old request was ended: its connection has an answer and is closed
    my $old = '';
    IO::Select->new($sock)->can_read(5);
    sysread($sock, $old, 65536);
    like($old, qr{^HTTP/1\.1 409 Conflict}, "v$v: the old request was ended");
    like($old, qr/"error":"superseded"/, "v$v: superseded");
    close $sock;
    my ($s2) = http_request(method => 'PATCH', uri => $r->{url}, body => "s" x 700000, headers => main::ah($v, 300000, 1));
    is($s2, 201, "v$v: the offset HEAD told is accepted");
    is(sha256_file(store_path("st$v.bin")), sha256_hex("s" x 1000000), "v$v: the file is whole");
}
--- error_log
bigupload: ending the requests in flight for the upload of
was ended by a newer one for the same upload after 300000 bytes



=== TEST 22: ... also when the old request is in another worker (through the status zone)
--- main_config
worker_processes 2;
--- config
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
}
--- temp_files_allowed
--- check
# the kernel spreads connections over the two workers: try until the old
# request and the new one are served by different ones
my $across = 0;
for my $try (1 .. 20) {
    my $r = main::create(8, "/upload/w$try.bin", "", 0, 'Upload-Length' => 1000000);
    my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $TEST_NGINX_PORT) or die;
    binmode $sock;
    my $ah = main::ah(8, 0, 1);
    print $sock "PATCH $r->{url} HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1000000\r\n"
        . join('', map { "$_: $ah->{$_}\r\n" } sort keys %$ah) . "\r\n" . ("w" x 200000);
    select(undef, undef, undef, 0.5);
    my $log_before = length error_log_text();
    my ($st, $h) = http_request(method => 'HEAD', uri => $r->{url}, headers => main::vh(8));
    my $old = '';
    IO::Select->new($sock)->can_read(5);
    sysread($sock, $old, 65536);
    close $sock;
    next unless $st == 204 && $h->{'upload-offset'} == 200000 && $old =~ /superseded/;
    my $log = substr(error_log_text(), $log_before);
    my ($wait_pid) = $log =~ /\[info\] (\d+)#\d+: \*\d+ bigupload: ending the requests in flight/;
    my ($old_pid) = $log =~ /\[info\] (\d+)#\d+: \*\d+ bigupload: a request for .* was ended by a newer one/;
    if (defined $wait_pid && defined $old_pid && $wait_pid != $old_pid) { $across = 1; last }
}
ok($across, "a request in another worker was ended, and the new one saw its final offset");



=== TEST 23: over HTTP/2 the 104 is a HEADERS frame of its own, before the final answer
--- exec
printf 'h2 body' > $TEST_NGINX_TMP/h2.txt
for v in 3 6 8; do
    c=Upload-Complete; [ $v = 3 ] && c=Upload-Incomplete
    val='?0'; [ $v = 3 ] && val='?1'
    curl -sS -v --http2-prior-knowledge -H "Upload-Draft-Interop-Version: $v" -H "$c: $val" \
         -T $TEST_NGINX_TMP/h2.txt http://127.0.0.1:$TEST_NGINX_H2_PORT/upload/h2-$v.txt 2>&1 | grep '^< '
done
--- exit_code: 0
--- temp_files_allowed
--- check_tests: 9
--- check
my @answers = split /(?=^< HTTP\/2 104)/m, $exec_stdout;
is(scalar @answers, 3, "three uploads, each with a 104");
for my $i (0 .. 2) {
    my $v = (3, 6, 8)[$i];
    my ($loc104) = $answers[$i] =~ m{\A< HTTP/2 104 \r?\n< upload-draft-interop-version: $v\r?\n< location: (/upload/\.bigupload/[0-9a-f]{32})\r?\n};
    ok($loc104, "v$v: the 104 with its version and Location");
    like($answers[$i], qr{^< HTTP/2 201 \r?\n.*^< location: \Q@{[$loc104 // 'none']}\E\r?\n}sm, "v$v: then the final 201 with the same Location");
}
like($answers[1], qr{\A< HTTP/2 104 [^\n]*\n(?:< [^\n]*\n)*?< upload-limit: expires=86400\r?\n(?:< [^\n]*\n)*?< HTTP/2 201}, "v6: the 104's Upload-Limit");
like($answers[2], qr{\A< HTTP/2 104 [^\n]*\n(?:< [^\n]*\n)*?< upload-limit: max-age=86400\r?\n(?:< [^\n]*\n)*?< HTTP/2 201}, "v8: the 104's Upload-Limit");



=== TEST 24: an append in flight is listed in the status under its file's path, not the upload resource's secret URL
--- config
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
}
location = /status {
    bigupload_status;
}
--- temp_files_allowed
--- check
my $r = main::create(8, "/upload/sp.bin", "", 0, 'Upload-Length' => 100000);
my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $TEST_NGINX_PORT) or die;
binmode $sock;
my $ah = main::ah(8, 0, 1);
print $sock "PATCH $r->{url} HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100000\r\n"
    . join('', map { "$_: $ah->{$_}\r\n" } sort keys %$ah) . "\r\n" . ("p" x 5000);
my ($st, $h, $b);
wait_until(sub { ($st, $h, $b) = http_request(method => 'GET', uri => '/status'); $b =~ /"uploads":\[\{/ }, 5);
like($b, qr{"uploads":\[\{"path":"/sp\.bin"}, "listed under the file's path");
unlike($b, qr{\.bigupload}, "the upload resource's URL is not shown");
close $sock;
