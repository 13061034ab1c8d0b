# tus 1.0.0 at a bigupload location (README "tus"): discovery, creation (to a
# directory with the metadata's name, or to a path; with upload; with a
# deferred length), HEAD, PATCH, the checksum, termination, expiration and
# concatenation extensions, the refusals (nothing stored), CORS, the upload
# URL behind a proxy, what the native dialect's machinery gives tus uploads
# (preconditions, overwrite, counters, variables, bigupload_pass), and the
# real tus-js-client 4.x in node (make tus-js-client installs it).
use lib 't/lib';
use Test::BigUpload;
use JSON::PP;
use MIME::Base64 qw(encode_base64);
use Digest::SHA qw(sha1 sha256);
use Digest::MD5 qw(md5);
use Time::Local qw(timegm);

default_sections(config => <<'_EOC_');
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
}
_EOC_

sub b64 { encode_base64($_[0], '') }

# A tus request: Tus-Resumable added, headers a hashref; the result hash.
sub tus {
    my (%o) = @_;
    my %h = ('Tus-Resumable' => '1.0.0', %{ $o{headers} // {} });
    delete $h{'Tus-Resumable'} if $o{bare};
    return scalar http_request(method => $o{method}, uri => $o{uri}, headers => \%h,
                               defined $o{body} ? (body => $o{body}) : (),
                               defined $o{body_file} ? (body_file => $o{body_file}) : (),
                               defined $o{port} ? (port => $o{port}) : ());
}

# POST to a creation URL; returns the result, its upload URL in {url}
sub create {
    my ($uri, %h) = @_;
    my $body = delete $h{body};
    $h{'Content-Type'} = 'application/offset+octet-stream' if defined $body && length $body;
    my $r = tus(method => 'POST', uri => $uri, headers => \%h, body => $body // '');
    $r->{url} = $r->{headers}{location};
    return $r;
}

sub patch {
    my ($url, $offset, $bytes, %h) = @_;
    return tus(method => 'PATCH', uri => $url, body => $bytes,
               headers => { 'Content-Type' => 'application/offset+octet-stream',
                            'Upload-Offset' => $offset, %h });
}

sub head { tus(method => 'HEAD', uri => $_[0]) }
sub del { tus(method => 'DELETE', uri => $_[0]) }

sub repr { 'sha-256=:' . b64(sha256($_[0])) . ':' }

# what the store's partial directory holds, but the sweeper's lock
sub partial_files {
    opendir my $d, store_path('.bigupload') or return ();
    return sort grep { !/^\.\.?\z/ && $_ ne 'sweep.lock' } readdir $d;
}

# Upload-Expires: an IMF-fixdate about "secs" from now
my %MONTH = (Jan => 0, Feb => 1, Mar => 2, Apr => 3, May => 4, Jun => 5, Jul => 6, Aug => 7,
             Sep => 8, Oct => 9, Nov => 10, Dec => 11);
sub expires_in {
    my ($v, $secs) = @_;
    return 0 unless defined $v
        && $v =~ /\A[A-Z][a-z]{2}, (\d\d) ([A-Z][a-z]{2}) (\d{4}) (\d\d):(\d\d):(\d\d) GMT\z/;
    my $when = timegm($6, $5, $4, $1, $MONTH{$2}, $3);
    return abs($when - (time + $secs)) <= 5;
}

our $NODE_MODULES = "$ENV{TEST_NGINX_BUILD}/npm/node_modules";    # make npm
our $NO_CLIENT = !-d "$NODE_MODULES/tus-js-client";

# tus-js-client in node: its exit status (a wait status: a signal in the low
# bits), the script's JSON lines, its output
sub tus_js {
    my (@args) = @_;
    local $ENV{NODE_PATH} = $NODE_MODULES;
    open my $fh, '-|', 'node', "$ENV{TEST_NGINX_REPO}/t/node/tus-upload.cjs", @args
        or die "node: $!";
    my $out = do { local $/; <$fh> } // '';
    close $fh;
    my $rc = $?;
    my @events = map { /^\{/ ? decode_json($_) : { event => 'text', text => $_ } }
                 split /\n/, $out;
    return ($rc, \@events, $out);
}

sub event { my ($events, $name) = @_; (grep { $_->{event} eq $name } @$events)[0] }

run_tests();

__DATA__

=== TEST 1: OPTIONS: the version, the extensions served, the checksum algorithms; no limit, no Tus-Max-Size
--- request
OPTIONS /upload/
--- error_code: 204
--- response_headers
Tus-Resumable: 1.0.0
Tus-Version: 1.0.0
Tus-Extension: creation,creation-with-upload,creation-defer-length,expiration,checksum,termination,concatenation
Tus-Checksum-Algorithm: sha1,sha256,md5,crc32
!Tus-Max-Size
--- no_error_log
[error]



=== TEST 2: OPTIONS with bigupload_max_size: Tus-Max-Size; a Tus-Resumable of another version is ignored there
--- config
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
    bigupload_max_size 1m;
}
--- request
OPTIONS /upload/.bigupload/0123456789abcdef0123456789abcdef
--- more_headers
Tus-Resumable: 0.2.2
--- error_code: 204
--- response_headers
Tus-Max-Size: 1048576
Tus-Version: 1.0.0



=== TEST 3: creation to a directory, HEAD, two PATCHes, HEAD of the finished upload; the file is stored under the metadata's name
--- check
my $data = join '', map { chr(($_ * 7) % 256) } 0 .. 99999;
my $meta = 'filename ' . b64('report 1.bin') . ',filetype ' . b64('application/pdf') . ',flag';
my $c = create('/upload/docs/', 'Upload-Length' => 100000, 'Upload-Metadata' => $meta);
is($c->{status}, 201, "created");
like($c->{url}, qr{\A/upload/\.bigupload/[0-9a-f]{32}\z}, "a relative Location under the location");
is($c->{headers}{'tus-resumable'}, '1.0.0', "Tus-Resumable");
is($c->{headers}{'upload-offset'}, '0', "offset 0");
ok(expires_in($c->{headers}{'upload-expires'}, 86400), "Upload-Expires in bigupload_expire (24h)");
is($c->{body}, '', "no body");
ok(!-e store_path('docs/report 1.bin'), "not there yet");

my $h = head($c->{url});
is($h->{status}, 200, "HEAD");
is($h->{headers}{'upload-offset'}, '0', "HEAD offset");
is($h->{headers}{'upload-length'}, '100000', "HEAD length");
is($h->{headers}{'upload-metadata'}, $meta, "the metadata as sent");
is($h->{headers}{'cache-control'}, 'no-store', "not cached");
ok(!exists $h->{headers}{'upload-defer-length'}, "not deferred");
ok(expires_in($h->{headers}{'upload-expires'}, 86400), "HEAD Upload-Expires");

my $p = patch($c->{url}, 0, substr($data, 0, 40000));
is($p->{status}, 204, "first PATCH");
is($p->{headers}{'upload-offset'}, '40000', "new offset");
is($p->{headers}{'tus-resumable'}, '1.0.0', "Tus-Resumable");
ok(expires_in($p->{headers}{'upload-expires'}, 86400), "PATCH Upload-Expires");
is(head($c->{url})->{headers}{'upload-offset'}, '40000', "HEAD says so");

$p = patch($c->{url}, 40000, substr($data, 40000));
is($p->{status}, 204, "last PATCH");
is($p->{headers}{'upload-offset'}, '100000', "at the end");
is($p->{headers}{'repr-digest'}, repr($data), "the file's sha256");
is(sha256_file(store_path('docs/report 1.bin')), sha256_hex($data), "stored under its name");

$h = head($c->{url});
is($h->{status}, 200, "the finished upload is known");
is($h->{headers}{'upload-offset'}, '100000', "offset = length");
is($h->{headers}{'upload-length'}, '100000', "length");
is($h->{headers}{'repr-digest'}, repr($data), "and its digest");
ok(!exists $h->{headers}{'upload-expires'}, "a finished upload does not expire");

# nothing more to write; terminating it forgets it and keeps the file
is(patch($c->{url}, 100000, 'x')->{status}, 409, "PATCH of the finished upload");
is(del($c->{url})->{status}, 204, "DELETE");
is(head($c->{url})->{status}, 410, "gone");
is(sha256_file(store_path('docs/report 1.bin')), sha256_hex($data), "the file stays");
--- error_log
bigupload: stored "$TEST_NGINX_STORE/docs/report 1.bin" (100000 bytes, sha256
bigupload: PATCH of the finished upload of "/docs/report 1.bin"
--- no_error_log
[crit]
[alert]



=== TEST 4: creation to a path names the file itself (the metadata's name aside); a POST to the location's root needs a name
--- check
my $c = create('/upload/a/b.bin', 'Upload-Length' => 3, 'Upload-Metadata' => 'filename ' . b64('other'));
is($c->{status}, 201, "created");
is(patch($c->{url}, 0, 'abc')->{status}, 204, "written");
is(sha256_file(store_path('a/b.bin')), sha256_hex('abc'), "at the path");
ok(!-e store_path('a/other'), "not at the metadata's name");
my $d = create('/upload/', 'Upload-Length' => 2, 'Upload-Metadata' => 'filename ' . b64('top.bin'));
is($d->{status}, 201, "to the root");
is(patch($d->{url}, 0, 'xy')->{status}, 204, "written");
is(sha256_file(store_path('top.bin')), sha256_hex('xy'), "in the store's root");
is(del($_->{url})->{status}, 204, "record terminated") for $c, $d;
--- no_error_log
[error]



=== TEST 5: a missing or unsafe file name is 400, and nothing is made
--- check
my @cases = (
    [ undef, qr/needs the file's name as Upload-Metadata \\"filename\\"/ ],
    [ 'filetype ' . b64('x/y'), qr/needs the file's name/ ],
    [ 'filename', qr/needs the file's name/ ],
    [ 'filename ' . b64('..'), qr/no valid file name: path contains a \\"\.\\" or \\"\.\.\\" segment/ ],
    [ 'filename ' . b64('a/b'), qr/must be a name, without \\"\/\\"/ ],
    [ 'filename ' . b64('.bigupload-x'), qr/reserved \\"\.bigupload\\" prefix/ ],
    [ 'filename ' . b64("a\\b"), qr/backslash/ ],
    [ 'filename ' . b64("a\0b"), qr/NUL/ ],
    [ 'filename ' . b64('x' x 300), qr/too long/ ],
);
for my $c (@cases) {
    my $r = create('/upload/d/', 'Upload-Length' => 5,
                   defined $c->[0] ? ('Upload-Metadata' => $c->[0]) : ());
    is($r->{status}, 400, "refused: " . ($c->[0] // 'no metadata'));
    like($r->{body}, qr/"error":"bad_path"/, "bad_path");
    like($r->{body}, $c->[1], "says why");
    ok(!defined $r->{url}, "no Location");
}
is_deeply([partial_files()], [], "no partial");
ok(!-e store_path('d'), "no directory");
--- error_log
bigupload: tus creation at "/d/": a creation POST to a directory needs the file's name



=== TEST 6: creation-with-upload: the whole file in the POST (201, stored, its digest), or a first part of it
--- check
my $r = create('/upload/w.bin', 'Upload-Length' => 11, body => 'hello world');
is($r->{status}, 201, "created and complete");
like($r->{url}, qr{\A/upload/\.bigupload/[0-9a-f]{32}\z}, "Location");
is($r->{headers}{'upload-offset'}, '11', "offset");
is($r->{headers}{'repr-digest'}, repr('hello world'), "digest");
is(sha256_file(store_path('w.bin')), sha256_hex('hello world'), "stored");
is(del($r->{url})->{status}, 204, "its record terminated");

$r = create('/upload/v.bin', 'Upload-Length' => 11, body => 'hello');
is($r->{status}, 201, "created with a part");
is($r->{headers}{'upload-offset'}, '5', "offset after the part");
ok(!-e store_path('v.bin'), "not complete");
is(patch($r->{url}, 5, ' world')->{status}, 204, "the rest");
is(sha256_file(store_path('v.bin')), sha256_hex('hello world'), "stored");
del($r->{url});

# the body must say what it is
$r = tus(method => 'POST', uri => '/upload/t.bin', body => 'hello',
         headers => { 'Upload-Length' => 5, 'Content-Type' => 'application/octet-stream' });
is($r->{status}, 415, "another Content-Type");
like($r->{body}, qr/"error":"unsupported_media_type"/, "says why");
ok(!-e store_path('t.bin'), "nothing stored");
is_deeply([partial_files()], [], "nothing kept");
--- error_log
tus POST for "/t.bin" with Content-Type "application/octet-stream" refused



=== TEST 7: Upload-Length: 0 is complete at its creation
--- check
my $r = create('/upload/empty', 'Upload-Length' => 0);
is($r->{status}, 201, "created");
is($r->{headers}{'upload-offset'}, '0', "offset");
is($r->{headers}{'repr-digest'}, repr(''), "the empty file's digest");
ok(-f store_path('empty') && -z _, "an empty file");
my $h = head($r->{url});
is($h->{status}, 200, "known");
is($h->{headers}{'upload-length'}, '0', "length 0");
is(del($r->{url})->{status}, 204, "terminated");



=== TEST 8: creation-defer-length: HEAD says Upload-Defer-Length until a PATCH gives the length; it cannot change
--- check
my $r = create('/upload/s.bin', 'Upload-Defer-Length' => 1);
is($r->{status}, 201, "created");
my $h = head($r->{url});
is($h->{headers}{'upload-defer-length'}, '1', "deferred");
ok(!exists $h->{headers}{'upload-length'}, "no length");
is(patch($r->{url}, 0, 'a' x 1000)->{status}, 204, "bytes of unknown total");
ok(!-e store_path('s.bin'), "not complete");
my $p = patch($r->{url}, 1000, 'b' x 500, 'Upload-Length' => 2000);
is($p->{status}, 204, "the length with more bytes");
is($p->{headers}{'upload-offset'}, '1500', "offset");
$h = head($r->{url});
is($h->{headers}{'upload-length'}, '2000', "now known");
ok(!exists $h->{headers}{'upload-defer-length'}, "no longer deferred");
$p = patch($r->{url}, 1500, 'c' x 500, 'Upload-Length' => 2001);
is($p->{status}, 400, "another length");
like($p->{body}, qr/"error":"length_mismatch"/, "length_mismatch");
is(head($r->{url})->{headers}{'upload-offset'}, '1500', "the upload unchanged");
is(patch($r->{url}, 1500, 'c' x 500, 'Upload-Length' => 2000)->{status}, 204, "the same length");
is(sha256_file(store_path('s.bin')), sha256_hex(('a' x 1000) . ('b' x 500) . ('c' x 500)), "stored");
del($r->{url});

# a length below what is held
$r = create('/upload/u.bin', 'Upload-Defer-Length' => 1);
patch($r->{url}, 0, 'x' x 100);
$p = patch($r->{url}, 100, '', 'Upload-Length' => 50);
is($p->{status}, 400, "shorter than held");
# the last PATCH of a stream may carry no bytes, only the length
$p = patch($r->{url}, 100, '', 'Upload-Length' => 100);
is($p->{status}, 204, "an empty PATCH with the length completes it");
is(sha256_file(store_path('u.bin')), sha256_hex('x' x 100), "stored");
del($r->{url});
--- error_log
bigupload: Upload-Length of "$TEST_NGINX_STORE/s.bin" differs from the one declared



=== TEST 9: another version is 412 with Tus-Version, and nothing is done; a missing Tus-Resumable on a tus-only location too
--- check
my $r = tus(method => 'POST', uri => '/upload/v.bin', body => '',
            headers => { 'Tus-Resumable' => '0.2.2', 'Upload-Length' => 5 });
is($r->{status}, 412, "412");
is($r->{headers}{'tus-version'}, '1.0.0', "Tus-Version");
is($r->{headers}{'tus-resumable'}, '1.0.0', "Tus-Resumable");
like($r->{body}, qr/"error":"tus_version"/, "says why");
ok(!defined $r->{headers}{location}, "no upload");
ok(!-e store_path('.bigupload'), "no partial directory even");
ok(!-e store_path('v.bin'), "no file");
--- error_log
bigupload: tus request with Tus-Resumable "0.2.2" for "/v.bin": not a version served



=== TEST 10: PATCH: 415 for another type, 409 at another offset (nothing changed), 413 past the length, 400 without Upload-Offset, 410 for an unknown upload, 404 for no upload URL
--- check
my $r = create('/upload/p.bin', 'Upload-Length' => 10);
my $url = $r->{url};
my $p = tus(method => 'PATCH', uri => $url, body => 'abc',
            headers => { 'Upload-Offset' => 0, 'Content-Type' => 'application/octet-stream' });
is($p->{status}, 415, "another Content-Type");
$p = tus(method => 'PATCH', uri => $url, body => 'abc', headers => { 'Upload-Offset' => 0 });
is($p->{status}, 415, "no Content-Type");
is(patch($url, 0, 'abc')->{status}, 204, "at 0");
$p = patch($url, 0, 'abc');
is($p->{status}, 409, "at 0 again: not where it ends");
like($p->{body}, qr/"error":"offset_mismatch"/, "offset_mismatch");
is(patch($url, 5, 'xyz')->{status}, 409, "beyond where it ends");
is(head($url)->{headers}{'upload-offset'}, '3', "unchanged");
$p = patch($url, 3, 'x' x 8);
is($p->{status}, 413, "past the length");
like($p->{body}, qr/"error":"too_large"/, "too_large");
is(head($url)->{headers}{'upload-offset'}, '3', "unchanged");
$p = tus(method => 'PATCH', uri => $url, body => 'x',
         headers => { 'Content-Type' => 'application/offset+octet-stream' });
is($p->{status}, 400, "no Upload-Offset");
like($p->{body}, qr/"message":"a PATCH needs Upload-Offset"/, "says why");
is(patch($url, 'three', 'x')->{status}, 400, "a bad Upload-Offset");
is(patch($url, 3, 'defghij')->{status}, 204, "the rest");
is(sha256_file(store_path('p.bin')), sha256_hex('abcdefghij'), "stored");
del($url);

my $gone = patch('/upload/.bigupload/0123456789abcdef0123456789abcdef', 0, 'x');
is($gone->{status}, 410, "an upload that is not there");
like($gone->{body}, qr/"error":"gone"/, "gone");
is(head('/upload/.bigupload/0123456789abcdef0123456789abcdef')->{status}, 410, "HEAD too");
is(head('/upload/.bigupload/nothex')->{status}, 404, "no upload URL");
my $m = tus(method => 'GET', uri => $url);
is($m->{status}, 405, "GET");
is($m->{headers}{allow}, 'HEAD, PATCH, DELETE, OPTIONS', "Allow of an upload");
$m = tus(method => 'PUT', uri => '/upload/x', body => 'x');
is($m->{status}, 405, "PUT with Tus-Resumable");
is($m->{headers}{allow}, 'POST, OPTIONS', "Allow of a creation URL");
ok(!-e store_path('x'), "nothing stored");
--- error_log eval
[qr{bigupload: an append to "/\S+/store/p\.bin" that does not start where it ends},
 qr{bigupload: a body for "/\S+/store/p\.bin" goes beyond its Upload-Length},
 qr{tus PATCH for "/\.bigupload/[0-9a-f]{32}" with Content-Type "application/octet-stream" refused}]



=== TEST 11: X-HTTP-Method-Override: a POST acts as the PATCH, HEAD or DELETE it names
--- check
my $r = create('/upload/o.bin', 'Upload-Length' => 6);
my $p = tus(method => 'POST', uri => $r->{url}, body => 'abc',
            headers => { 'X-HTTP-Method-Override' => 'PATCH', 'Upload-Offset' => 0,
                         'Content-Type' => 'application/offset+octet-stream' });
is($p->{status}, 204, "a PATCH");
is($p->{headers}{'upload-offset'}, '3', "offset");
my $h = tus(method => 'POST', uri => $r->{url}, body => '',
            headers => { 'X-HTTP-Method-Override' => 'HEAD' });
is($h->{status}, 200, "a HEAD");
is($h->{headers}{'upload-offset'}, '3', "its offset");
my $d = tus(method => 'POST', uri => $r->{url}, body => '',
            headers => { 'X-HTTP-Method-Override' => 'DELETE' });
is($d->{status}, 204, "a DELETE");
is(head($r->{url})->{status}, 410, "gone");
my $bad = tus(method => 'POST', uri => $r->{url}, body => '',
              headers => { 'X-HTTP-Method-Override' => 'FETCH' });
is($bad->{status}, 400, "an unknown method");
is_deeply([partial_files()], [], "nothing kept");



=== TEST 12: checksum: sha1, sha256, md5, crc32 checked; a mismatch is 460 and the bytes are discarded; an unknown algorithm is 400
--- check
my $r = create('/upload/c.bin', 'Upload-Length' => 40);
my $url = $r->{url};
my @chunks = map { chr(65 + $_) x 10 } 0 .. 3;
my $p = patch($url, 0, $chunks[0], 'Upload-Checksum' => 'sha1 ' . b64(sha1('wrong')));
is($p->{status}, 460, "sha1 mismatch");
like($p->{body}, qr/"error":"digest_mismatch"/, "digest_mismatch");
is(head($url)->{headers}{'upload-offset'}, '0', "nothing of it kept");
is(patch($url, 0, $chunks[0], 'Upload-Checksum' => 'sha1 ' . b64(sha1($chunks[0])))->{status}, 204, "sha1");
is(patch($url, 10, $chunks[1], 'Upload-Checksum' => 'sha256 ' . b64(sha256($chunks[1])))->{status}, 204, "sha256");
is(patch($url, 20, $chunks[2], 'Upload-Checksum' => 'md5 ' . b64(md5($chunks[2])))->{status}, 204, "md5");
$p = patch($url, 30, $chunks[3], 'Upload-Checksum' => 'crc32 AAAAAA==');
is($p->{status}, 460, "crc32 mismatch");
is(head($url)->{headers}{'upload-offset'}, '30', "still 30");
# CRC-32 (IEEE) of "DDDDDDDDDD", big-endian
my $crc32 = do { require Compress::Zlib; pack 'N', Compress::Zlib::crc32($chunks[3]) };
$p = patch($url, 30, $chunks[3], 'Upload-Checksum' => 'crc32 ' . b64($crc32));
is($p->{status}, 204, "crc32");
is(sha256_file(store_path('c.bin')), sha256_hex(join '', @chunks), "stored");
del($url);

$r = create('/upload/k.bin', 'Upload-Length' => 5);
$p = patch($r->{url}, 0, 'abcde', 'Upload-Checksum' => 'sha512 ' . b64('x' x 64));
is($p->{status}, 400, "an unknown algorithm");
like($p->{body}, qr/unsupported checksum algorithm/, "says so");
$p = patch($r->{url}, 0, 'abcde', 'Upload-Checksum' => 'sha1 ' . b64('short'));
is($p->{status}, 400, "a digest of the wrong size");
$p = patch($r->{url}, 0, 'abcde', 'Upload-Checksum' => 'sha1');
is($p->{status}, 400, "malformed");
is(head($r->{url})->{headers}{'upload-offset'}, '0', "nothing written");
del($r->{url});
is_deeply([partial_files()], [], "nothing kept");
--- error_log
bigupload: the Upload-Checksum of a body for "$TEST_NGINX_STORE/c.bin" does not match



=== TEST 13: termination: DELETE of an unfinished upload is 204 and removes it; then 410 to everything
--- check
my $r = create('/upload/t.bin', 'Upload-Length' => 100);
patch($r->{url}, 0, 'x' x 50);
my @files = partial_files();
is(scalar(grep { /\.data\z/ } @files), 1, "a partial");
my $d = del($r->{url});
is($d->{status}, 204, "terminated");
is($d->{headers}{'tus-resumable'}, '1.0.0', "Tus-Resumable");
is_deeply([partial_files()], [], "its files are gone");
is(head($r->{url})->{status}, 410, "HEAD");
is(patch($r->{url}, 50, 'x' x 50)->{status}, 410, "PATCH");
is(del($r->{url})->{status}, 410, "DELETE");
ok(!-e store_path('t.bin'), "no file");
--- error_log
bigupload: terminated the tus upload



=== TEST 14: expiration: an upload idle for longer than bigupload_expire is gone (410), before and after the sweep
--- config
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
    bigupload_expire 2s;
}
--- check
my $r = create('/upload/e.bin', 'Upload-Length' => 100);
ok(expires_in($r->{headers}{'upload-expires'}, 2), "Upload-Expires in 2s");
my $p = patch($r->{url}, 0, 'x' x 10);
ok(expires_in($p->{headers}{'upload-expires'}, 2), "moved on by the PATCH");
sleep 4;
is(head($r->{url})->{status}, 410, "HEAD after expiry");
is(patch($r->{url}, 10, 'x' x 90)->{status}, 410, "PATCH after expiry");
ok(!-e store_path('e.bin'), "no file");
ok(wait_until(sub { !grep { /\.data\z/ } partial_files() }, 5), "swept");



=== TEST 15: concatenation: partial uploads, a final of them in order (absolute and relative URLs, one twice), its HEAD; PATCH of a final is 403
--- check
my @parts = ('a' x 70000, 'b' x 5, '', 'c' x 30000);
my @urls;
for my $i (0 .. $#parts) {
    my $c = create('/upload/', 'Upload-Length' => length $parts[$i], 'Upload-Concat' => 'partial');
    is($c->{status}, 201, "part $i created");
    is(head($c->{url})->{headers}{'upload-concat'}, 'partial', "HEAD says partial");
    is(patch($c->{url}, 0, $parts[$i])->{status}, 204, "part $i written") if length $parts[$i];
    push @urls, $c->{url};
}
ok(!-e store_path('a'), "parts go nowhere");
is(head($urls[0])->{headers}{'upload-offset'}, '70000', "a complete part is kept");
my $list = join ' ', "http://localhost$urls[0]", $urls[1], $urls[2], substr($urls[3], 8), $urls[1];
my $meta = 'filename ' . b64('whole.bin');
my $f = create('/upload/cat/', 'Upload-Concat' => "final;$list", 'Upload-Metadata' => $meta);
is($f->{status}, 201, "final created");
like($f->{url}, qr{\A/upload/\.bigupload/[0-9a-f]{32}\z}, "its URL");
my $whole = $parts[0] . $parts[1] . $parts[2] . $parts[3] . $parts[1];
is($f->{headers}{'upload-offset'}, length $whole, "complete at once");
is($f->{headers}{'repr-digest'}, repr($whole), "its digest");
is(sha256_file(store_path('cat/whole.bin')), sha256_hex($whole), "assembled in order");
my $h = head($f->{url});
is($h->{status}, 200, "HEAD of the final");
is($h->{headers}{'upload-concat'}, "final;$list", "Upload-Concat as sent");
is($h->{headers}{'upload-offset'}, length $whole, "offset");
is($h->{headers}{'upload-length'}, length $whole, "= length");
is($h->{headers}{'upload-metadata'}, $meta, "metadata");
my $p = patch($f->{url}, length $whole, 'x');
is($p->{status}, 403, "PATCH of a final");
like($p->{body}, qr/"error":"final_upload"/, "final_upload");
is(sha256_file(store_path('cat/whole.bin')), sha256_hex($whole), "unchanged");
is(head($urls[0])->{status}, 410, "the parts are spent");
del($f->{url});
is_deeply([partial_files()], [], "nothing left but the file");
--- error_log
, concatenated
bigupload: PATCH of the final upload of "/cat/whole.bin" refused



=== TEST 16: a final of an unknown, unfinished or non-partial upload, or of no upload URL, is 400; with a length or a body too; nothing is stored
--- check
my $part = create('/upload/', 'Upload-Length' => 10, 'Upload-Concat' => 'partial');
my $plain = create('/upload/plain.bin', 'Upload-Length' => 10);
my $meta = 'filename ' . b64('f.bin');
my @cases = (
    [ "final;$part->{url}", qr/"error":"bad_concat"/, "unfinished" ],
    [ "final;$plain->{url}", qr/"error":"bad_concat"/, "not a partial upload" ],
    [ "final;/upload/.bigupload/0123456789abcdef0123456789abcdef", qr/"error":"bad_concat"/, "unknown" ],
    [ "final;/upload/plain.bin", qr/which is no upload URL of this server/, "no upload URL" ],
    [ "final;", qr/"error":"bad_upload_header"/, "no URLs" ],
    [ "final", qr/"error":"bad_upload_header"/, "malformed" ],
);
for my $c (@cases) {
    my $r = create('/upload/d/', 'Upload-Concat' => $c->[0], 'Upload-Metadata' => $meta);
    is($r->{status}, 400, $c->[2]);
    like($r->{body}, $c->[1], "$c->[2]: says why");
}
patch($part->{url}, 0, 'p' x 10);
my $r = create('/upload/d/', 'Upload-Concat' => "final;$part->{url}", 'Upload-Length' => 10,
               'Upload-Metadata' => $meta);
is($r->{status}, 400, "a final with Upload-Length");
like($r->{body}, qr/a final upload \(Upload-Concat: final\) takes no Upload-Length/, "says why");
$r = tus(method => 'POST', uri => '/upload/d/', body => 'xyz',
         headers => { 'Upload-Concat' => "final;$part->{url}", 'Upload-Metadata' => $meta,
                      'Content-Type' => 'application/offset+octet-stream' });
is($r->{status}, 400, "a final with a body");
ok(!-e store_path('d/f.bin'), "nothing stored");
# the part is still whole, and makes a final once all is right
$r = create('/upload/d/', 'Upload-Concat' => "final;$part->{url}", 'Upload-Metadata' => $meta);
is($r->{status}, 201, "then the final");
is(sha256_file(store_path('d/f.bin')), sha256_hex('p' x 10), "stored");
del($_->{url}) for $plain, $r;
is_deeply([partial_files()], [], "nothing left");
--- error_log
Upload-Concat for "/d/f.bin" names no complete partial upload



=== TEST 17: garbage Upload-Metadata, a huge Upload-Length, one over bigupload_max_size: refused, nothing made
--- config
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
    bigupload_max_size 1m;
}
--- check
my @bad = (
    [ { 'Upload-Length' => 5, 'Upload-Metadata' => 'filename !!not-base64!!' }, 400, qr/Upload-Metadata value that is not base64/ ],
    [ { 'Upload-Length' => 5, 'Upload-Metadata' => 'filename YQ' }, 400, qr/not base64/ ],
    [ { 'Upload-Length' => 5, 'Upload-Metadata' => 'filename YQ==,filename Yg==' }, 400, qr/repeated Upload-Metadata key/ ],
    [ { 'Upload-Length' => 5, 'Upload-Metadata' => 'filename  YQ==' }, 400, qr/not of the form/ ],
    [ { 'Upload-Length' => '9223372036854775808' }, 400, qr/Upload-Length is larger than 2\^63 - 1/ ],
    [ { 'Upload-Length' => '99999999999999999999999999' }, 400, qr/larger than 2\^63 - 1/ ],
    [ { 'Upload-Length' => '-1' }, 400, qr/not a non-negative integer/ ],
    [ { 'Upload-Length' => '9223372036854775807' }, 413, qr/"error":"too_large"/ ],
    [ { 'Upload-Length' => 1048577 }, 413, qr/"error":"too_large"/ ],
    [ { 'Upload-Defer-Length' => 2 }, 400, qr/Upload-Defer-Length must be 1/ ],
    [ { 'Upload-Length' => 5, 'Upload-Defer-Length' => 1 }, 400, qr/contradict/ ],
    [ {}, 400, qr/a creation needs Upload-Length/ ],
);
for my $b (@bad) {
    my $r = create('/upload/g.bin', %{ $b->[0] });
    is($r->{status}, $b->[1], join(' ', %{ $b->[0] }) || 'no length');
    like($r->{body}, $b->[2], "says why");
    ok(!defined $r->{url}, "no upload");
}
# a deferred length over the limit, told by a PATCH
my $r = create('/upload/g.bin', 'Upload-Defer-Length' => 1);
is(patch($r->{url}, 0, 'x', 'Upload-Length' => 2000000)->{status}, 413, "a PATCH's length over the limit");
del($r->{url});
ok(!-e store_path('g.bin'), "no file");
is_deeply([partial_files()], [], "no partial");
--- error_log
bad Upload-Metadata "filename !!not-base64!!" for "/g.bin": an Upload-Metadata value that is not base64 (pair 1)
upload of "/g.bin" is 1048577 bytes, more than bigupload_max_size 1048576



=== TEST 18: the same rules as PUT: a target that exists is 409 at the creation; If-None-Match: * holds at the end; with overwrite on, 200's file is replaced
--- check
my $r = tus(method => 'PUT', uri => '/upload/x', bare => 1, body => 'old');
is($r->{status}, 201, "a plain PUT");
$r = create('/upload/x', 'Upload-Length' => 3);
is($r->{status}, 409, "a creation to an existing file");
like($r->{body}, qr/"error":"exists"/, "exists");
is_deeply([partial_files()], [], "no partial");

$r = create('/upload/y', 'Upload-Length' => 3, 'If-None-Match' => '*');
is($r->{status}, 201, "created with If-None-Match: *");
tus(method => 'PUT', uri => '/upload/y', bare => 1, body => 'meanwhile');
my $p = patch($r->{url}, 0, 'new');
is($p->{status}, 412, "the file appeared meanwhile: precondition failed");
is(sha256_file(store_path('y')), sha256_hex('meanwhile'), "not replaced");
del($r->{url});
--- error_log
precondition failed for "$TEST_NGINX_STORE/y"



=== TEST 19: with bigupload_overwrite on, a tus upload replaces the file
--- config
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
    bigupload_overwrite on;
}
--- check
tus(method => 'PUT', uri => '/upload/z', bare => 1, body => 'old');
my $r = create('/upload/z', 'Upload-Length' => 3);
is($r->{status}, 201, "created");
is(patch($r->{url}, 0, 'new')->{status}, 204, "complete");
is(sha256_file(store_path('z')), sha256_hex('new'), "replaced");
del($r->{url});



=== TEST 20: a PATCH broken off mid-body keeps what arrived; the client resumes at HEAD's offset
--- check
my $data = join '', map { chr(($_ * 13) % 251) } 0 .. (3 << 20) - 1;
my $r = create('/upload/big/', 'Upload-Length' => length $data,
               'Upload-Metadata' => 'filename ' . b64('b.bin'));
my $a = http_request(method => 'PATCH', uri => $r->{url}, body => $data, abort_after => 2 << 20,
                     headers => { 'Tus-Resumable' => '1.0.0', 'Upload-Offset' => 0,
                                  'Content-Type' => 'application/offset+octet-stream' });
ok($a->{aborted}, "the client went away");
my $off;
ok(wait_until(sub { $off = head($r->{url})->{headers}{'upload-offset'}; $off > 0 }, 5),
   "bytes were kept");
ok($off <= 2 << 20, "no more than were sent ($off)");
my $p = patch($r->{url}, $off, substr($data, $off));
is($p->{status}, 204, "resumed");
is(sha256_file(store_path('big/b.bin')), sha256_hex($data), "whole");
del($r->{url});



=== TEST 21: over HTTP/2, with a chunked PATCH too
--- exec
url=$(curl -sS -i --http2-prior-knowledge -X POST -H 'Tus-Resumable: 1.0.0' -H 'Upload-Length: 11' \
    -H "Upload-Metadata: filename $(printf h2.bin | base64)" http://127.0.0.1:$TEST_NGINX_H2_PORT/upload/ \
    | tr -d '\r' | sed -n 's/^location: //p')
printf 'hello' | curl -sS --http2-prior-knowledge -X PATCH -H 'Tus-Resumable: 1.0.0' -H 'Upload-Offset: 0' \
    -H 'Content-Type: application/offset+octet-stream' --data-binary @- -o /dev/null -w '%{http_code} ' \
    http://127.0.0.1:$TEST_NGINX_H2_PORT$url
printf ' world' | curl -sS -X PATCH -H 'Tus-Resumable: 1.0.0' -H 'Upload-Offset: 5' -H 'Transfer-Encoding: chunked' \
    -H 'Content-Type: application/offset+octet-stream' --data-binary @- -o /dev/null -w '%{http_code} ' \
    http://127.0.0.1:$TEST_NGINX_PORT$url
curl -sS -X DELETE -H 'Tus-Resumable: 1.0.0' -o /dev/null -w '%{http_code}' http://127.0.0.1:$TEST_NGINX_PORT$url
--- stdout: 204 204 204
--- stored_file: h2.bin
--- stored_body: hello world



=== TEST 22: CORS: a preflight from an allowed origin, the headers of its answers; nothing for another origin
--- config
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
    bigupload_cors_origin https://app.example.com http://localhost:3000;
    bigupload_cors_max_age 10m;
}
--- check
my $pf = http_request(method => 'OPTIONS', uri => '/upload/', headers => {
    'Origin' => 'https://app.example.com', 'Access-Control-Request-Method' => 'POST',
    'Access-Control-Request-Headers' => 'tus-resumable,upload-length,upload-metadata' });
is($pf->{status}, 204, "preflight");
is($pf->{headers}{'access-control-allow-origin'}, 'https://app.example.com', "the origin");
is($pf->{headers}{'access-control-allow-methods'}, 'POST, PUT, PATCH, HEAD, DELETE, OPTIONS', "methods");
is($pf->{headers}{'access-control-allow-headers'}, 'tus-resumable, upload-length, upload-metadata', "headers");
is($pf->{headers}{'access-control-max-age'}, '600', "max age");
is($pf->{headers}{vary}, 'Origin', "Vary");
ok(!exists $pf->{headers}{'tus-version'}, "a preflight, not tus discovery");

my $r = create('/upload/c.bin', 'Upload-Length' => 2, Origin => 'https://app.example.com');
is($r->{status}, 201, "created");
is($r->{headers}{'access-control-allow-origin'}, 'https://app.example.com', "allowed");
like($r->{headers}{'access-control-expose-headers'},
     qr/\ALocation, Upload-Offset, Upload-Length, Upload-Expires, .*Tus-Resumable, Tus-Version, Tus-Extension, Tus-Max-Size, Tus-Checksum-Algorithm, Repr-Digest\z/,
     "Location, Upload-*, Tus-*, Repr-Digest exposed");
my $p = patch($r->{url}, 0, 'ab', Origin => 'http://localhost:3000');
is($p->{headers}{'access-control-allow-origin'}, 'http://localhost:3000', "the other origin");
my $h = tus(method => 'HEAD', uri => $r->{url}, headers => { Origin => 'https://evil.example' });
ok(!exists $h->{headers}{'access-control-allow-origin'}, "not for another origin");
my $e = tus(method => 'PATCH', uri => $r->{url}, body => 'x',
            headers => { Origin => 'https://app.example.com', 'Upload-Offset' => 9,
                         'Content-Type' => 'application/offset+octet-stream' });
is($e->{status}, 409, "an error");
is($e->{headers}{'access-control-allow-origin'}, 'https://app.example.com', "carries them too");
$pf = http_request(method => 'OPTIONS', uri => '/upload/', headers => {
    'Origin' => 'https://evil.example', 'Access-Control-Request-Method' => 'POST' });
is($pf->{status}, 204, "a preflight of another origin");
ok(!exists $pf->{headers}{'access-control-allow-origin'}, "is not allowed");
# a plain PUT from the page gets them too
my $n = http_request(method => 'PUT', uri => '/upload/n.bin', body => 'n',
                     headers => { Origin => 'https://app.example.com' });
is($n->{status}, 201, "a native PUT");
is($n->{headers}{'access-control-allow-origin'}, 'https://app.example.com', "allowed too");
del($r->{url});



=== TEST 23: CORS without a list: no CORS header, an OPTIONS is tus discovery; any origin with credentials echoes the origin
--- config
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
}
location /any/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
    bigupload_cors_origin *;
    bigupload_cors_credentials on;
}
--- check
my $pf = http_request(method => 'OPTIONS', uri => '/upload/', headers => {
    'Origin' => 'https://app.example.com', 'Access-Control-Request-Method' => 'POST' });
is($pf->{status}, 204, "answered");
ok(!exists $pf->{headers}{'access-control-allow-origin'}, "no CORS by default");
is($pf->{headers}{'tus-version'}, '1.0.0', "tus discovery");
my $r = create('/any/c.bin', 'Upload-Length' => 0, Origin => 'https://x.example');
is($r->{headers}{'access-control-allow-origin'}, 'https://x.example', "the origin, not *");
is($r->{headers}{'access-control-allow-credentials'}, 'true', "credentials");
del($r->{url});



=== TEST 24: bigupload_cors_origin refuses what is not an origin
--- config
location /upload/ {
    bigupload;
    bigupload_cors_origin https://app.example.com/;
}
--- must_die
--- error_log
bigupload_cors_origin "https://app.example.com/" is neither "*" nor an origin



=== TEST 25: bigupload_location absolute and forwarded: the Location a client behind a TLS proxy needs
--- config
location /rel/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
}
location /abs/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
    bigupload_location absolute;
}
location /fwd/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
    bigupload_location forwarded;
}
--- check
my %fw = ('X-Forwarded-Proto' => 'https', 'X-Forwarded-Host' => 'files.example.com');
my $r = create('/rel/a', 'Upload-Length' => 0, %fw);
like($r->{url}, qr{\A/rel/\.bigupload/[0-9a-f]{32}\z}, "relative by default");
$r = create('/abs/b', 'Upload-Length' => 0, %fw, Host => 'up.example:8080');
like($r->{url}, qr{\Ahttp://up\.example:8080/abs/\.bigupload/[0-9a-f]{32}\z}, "absolute: the request's own");
$r = create('/fwd/c', 'Upload-Length' => 0, %fw);
like($r->{url}, qr{\Ahttps://files\.example\.com/fwd/\.bigupload/[0-9a-f]{32}\z}, "forwarded");
my $id = ($r->{url} =~ m{([0-9a-f]{32})\z})[0];
is(head("/fwd/.bigupload/$id")->{status}, 200, "and it works");
$r = create('/fwd/d', 'Upload-Length' => 0, 'X-Forwarded-Host' => 'bad/host');
like($r->{url}, qr{\Ahttp://localhost/fwd/\.bigupload/[0-9a-f]{32}\z}, "a malformed forwarded host is not used");
--- temp_files_allowed



=== TEST 26: bigupload_location takes three values
--- config
location /upload/ {
    bigupload;
    bigupload_location upstream;
}
--- must_die
--- error_log
invalid value "upstream"



=== TEST 27: counters, status and $bigupload_* for tus requests
--- http_config
log_format up '$request_method $status $bigupload_result $bigupload_error $bigupload_path $bigupload_bytes $bigupload_size';
--- config
access_log $TEST_NGINX_SERVROOT/logs/up.log up;
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
}
location = /status {
    bigupload_status;
}
--- check
my $r = create('/upload/s/', 'Upload-Length' => 10, 'Upload-Metadata' => 'filename ' . b64('n.bin'));
patch($r->{url}, 0, 'x' x 4);
my $st = decode_json((http_request(uri => '/status'))[2]);
is(scalar @{ $st->{partials} }, 1, "a partial listed");
is($st->{partials}[0]{path}, '/s/n.bin', "its path");
is($st->{partials}[0]{offset}, 4, "its offset");
is($st->{partials}[0]{protocol}, 'tus', "its protocol");
patch($r->{url}, 9, 'x');
patch($r->{url}, 4, 'y' x 6);
$st = decode_json((http_request(uri => '/status'))[2]);
is($st->{counters}{completed}, 1, "completed");
is($st->{counters}{partial}, 2, "partial: the creation and the first PATCH");
is($st->{counters}{failed_by_reason}{offset_mismatch}, 1, "failed: offset_mismatch");
is(scalar @{ $st->{partials} }, 0, "the record of a finished upload is no partial");
is_deeply($st->{counters}{by_protocol}{tus}, { completed => 1, failed => 1 }, "tus: by protocol");
is_deeply($st->{counters}{by_protocol}{native}, { completed => 0, failed => 0 }, "native: none");
like((http_request(uri => '/status?format=prometheus'))[2],
     qr/^bigupload_protocol_uploads_completed_total\{protocol="tus"\} 1$/m, "in Prometheus too");
del($r->{url});
$st = decode_json((http_request(uri => '/status'))[2]);
is($st->{counters}{cancelled}, 1, "a DELETE counts as cancelled");
my @log;
wait_until(sub {
    open my $fh, '<', "$TEST_NGINX_SERVROOT/logs/up.log" or return;
    @log = grep { /^(POST|PATCH|DELETE) / } <$fh>;
    @log >= 5;
});
is($log[0], "POST 201 partial  /s/n.bin 0 \n", "the creation");
is($log[1], "PATCH 204 partial  /s/n.bin 4 \n", "a PATCH");
is($log[2], "PATCH 409 failed offset_mismatch /s/n.bin 0 \n", "a refused PATCH");
is($log[3], "PATCH 204 complete  /s/n.bin 6 10\n", "the last PATCH");
is($log[4], "DELETE 204 cancelled  /s/n.bin  \n", "the termination");



=== TEST 28: bigupload_pass: the notice says tus and carries the metadata; the client still gets Upload-Offset and Tus-Resumable
--- http_config
log_format backend '$request_body';
server {
    listen 127.0.0.1:$TEST_NGINX_PORT2;
    location /app {
        access_log $TEST_NGINX_SERVROOT/logs/backend.log backend;
        proxy_pass http://127.0.0.1:$TEST_NGINX_PORT2/reply;
    }
    location /reply {
        return 200 '{"app":"ok"}';
    }
}
--- config
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
    bigupload_pass /backend;
}
location /backend {
    internal;
    proxy_pass http://127.0.0.1:$TEST_NGINX_PORT2/app;
}
--- check
my $meta = 'filename ' . b64('p.bin') . ',filetype ' . b64('text/plain');
my $r = create('/upload/d/', 'Upload-Length' => 5, 'Upload-Metadata' => $meta);
is($r->{status}, 201, "the creation is not passed");
my $p = patch($r->{url}, 0, 'hello');
is($p->{status}, 200, "the backend's answer");
is($p->{body}, '{"app":"ok"}', "its body");
is($p->{headers}{'upload-offset'}, '5', "Upload-Offset for the tus client");
is($p->{headers}{'tus-resumable'}, '1.0.0', "Tus-Resumable");
is($p->{headers}{'repr-digest'}, repr('hello'), "the digest, once");
my $line;
ok(wait_until(sub { open my $fh, '<', "$TEST_NGINX_SERVROOT/logs/backend.log" or return; $line = <$fh> }),
   "the backend got the notice");
$line =~ s/\\x([0-9A-F]{2})/chr hex $1/ge;
my $j = decode_json($line);
is($j->{protocol}, 'tus', "protocol");
is_deeply($j->{metadata}, { filename => 'p.bin', filetype => 'text/plain' }, "metadata, decoded");
is($j->{path}, '/d/p.bin', "path");
ok($j->{created}, "created");
is($j->{sha256}, sha256_hex('hello'), "sha256");
del($r->{url});



=== TEST 29: bigupload_protocols: without tus, a tus request is refused; without native, a plain PUT is
--- config
location /native/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
    bigupload_protocols native;
}
location /tus/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
    bigupload_protocols tus;
}
--- check
my $r = create('/native/a', 'Upload-Length' => 1);
is($r->{status}, 400, "tus not served");
like($r->{body}, qr/"error":"protocol_not_enabled"/, "protocol_not_enabled");
my $o = http_request(method => 'OPTIONS', uri => '/native/');
is($o->{status}, 405, "no tus discovery either");
$r = http_request(method => 'PUT', uri => '/tus/b', body => 'b');
is($r->{status}, 400, "native not served");
$r = create('/tus/c', 'Upload-Length' => 1);
is($r->{status}, 201, "tus served");
ok(!-e store_path('a') && !-e store_path('b'), "nothing stored");
del($r->{url});



=== TEST 30: tus-js-client: a plain upload, then uploadLengthDeferred (a stream), both byte for byte
--- skip_if: $main::NO_CLIENT
--- skip_reason: tus-js-client is not installed: make tus-js-client
--- setup
gen_file("$TEST_NGINX_TMP/js-plain.bin", 5_000_000, 11);
--- check
my ($rc, $ev) = tus_js('--endpoint', "http://127.0.0.1:$TEST_NGINX_PORT/upload/js/",
                       '--file', "$TEST_NGINX_TMP/js-plain.bin", '--name', 'plain.bin');
is($rc, 0, "plain: success") or diag explain $ev;
like(event($ev, 'success')->{url}, qr{\Ahttp://127\.0\.0\.1:\d+/upload/\.bigupload/[0-9a-f]{32}\z},
     "the Location resolved against the endpoint");
is(sha256_file(store_path('js/plain.bin')), sha256_file("$TEST_NGINX_TMP/js-plain.bin"), "stored");

($rc, $ev) = tus_js('--endpoint', "http://127.0.0.1:$TEST_NGINX_PORT/upload/js/",
                    '--file', "$TEST_NGINX_TMP/js-plain.bin", '--name', 'deferred.bin',
                    '--deferred', '--chunk', 1 << 20);
is($rc, 0, "deferred: success") or diag explain $ev;
is(sha256_file(store_path('js/deferred.bin')), sha256_file("$TEST_NGINX_TMP/js-plain.bin"), "stored");
--- temp_files_allowed
--- no_error_log
[error]
[crit]



=== TEST 31: tus-js-client: parallelUploads: 4, a concatenation of four partial uploads
--- skip_if: $main::NO_CLIENT
--- skip_reason: tus-js-client is not installed: make tus-js-client
--- setup
gen_file("$TEST_NGINX_TMP/js-par.bin", 9_000_001, 12);
--- check
my ($rc, $ev) = tus_js('--endpoint', "http://127.0.0.1:$TEST_NGINX_PORT/upload/js/",
                       '--file', "$TEST_NGINX_TMP/js-par.bin", '--name', 'parallel.bin',
                       '--parallel', 4);
is($rc, 0, "success") or diag explain $ev;
is(sha256_file(store_path('js/parallel.bin')), sha256_file("$TEST_NGINX_TMP/js-par.bin"), "assembled");
my $h = head(event($ev, 'success')->{url} =~ s{^http://[^/]+}{}r);
like($h->{headers}{'upload-concat'}, qr{\Afinal;(http://127\.0\.0\.1:\d+/upload/\.bigupload/[0-9a-f]{32} ?){4}\z},
     "a final of four parts");
--- temp_files_allowed
--- error_log
, concatenated
--- no_error_log
[error]



=== TEST 32: tus-js-client killed mid-upload (SIGKILL), rerun: it resumes from its URL storage where the server stopped
--- skip_if: $main::NO_CLIENT
--- skip_reason: tus-js-client is not installed: make tus-js-client
--- setup
gen_file("$TEST_NGINX_TMP/js-kill.bin", 64 << 20, 13);
unlink "$TEST_NGINX_TMP/urls.json";
--- check
my @common = ('--endpoint', "http://127.0.0.1:$TEST_NGINX_PORT/upload/js/",
              '--file', "$TEST_NGINX_TMP/js-kill.bin", '--name', 'killed.bin',
              '--storage', "$TEST_NGINX_TMP/urls.json");
my ($rc, $ev) = tus_js(@common, '--kill-after', 8 << 20);
is($rc & 127, 9, "killed by SIGKILL");
my $url = event($ev, 'url')->{url};
like($url, qr{/upload/\.bigupload/[0-9a-f]{32}\z}, "it had its upload URL");
open my $fh, '<', "$TEST_NGINX_TMP/urls.json" or die "no URL storage: $!";
my $stored = decode_json(join '', <$fh>);
is((values %$stored)[0]{uploadUrl}, $url, "kept in its URL storage");
my $off;
ok(wait_until(sub { $off = head($url =~ s{^http://[^/]+}{}r)->{headers}{'upload-offset'}; $off > 0 }, 5),
   "the server kept the bytes it got ($off)");
ok($off < 64 << 20, "not all of them");
ok(!-e store_path('js/killed.bin'), "not complete");

($rc, $ev) = tus_js(@common, '--resume');
is($rc, 0, "the rerun succeeds") or diag explain $ev;
is(event($ev, 'resume')->{url}, $url, "from the stored URL");
is(event($ev, 'success')->{url}, $url, "the same upload");
is(sha256_file(store_path('js/killed.bin')), sha256_file("$TEST_NGINX_TMP/js-kill.bin"), "stored whole");
my $id = ($url =~ m{([0-9a-f]{32})\z})[0];
my @lines = grep { /"PATCH [^"]*$id/ } split /\n/, do { local $/; open my $a, '<', "$TEST_NGINX_SERVROOT/logs/access.log"; <$a> // '' };
is(scalar @lines, 2, "two PATCHes: the killed one and the rest");
--- timeout: 120
--- temp_files_allowed
--- no_error_log
[crit]
[alert]
