# Existing targets: bigupload_overwrite, If-None-Match, If-Match, directories.
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

=== TEST 1: an existing target gets 409 with overwrite off, and is left as it was
--- init
open my $fh, '>', store_path("x.bin") or die; print $fh "original"; close $fh;
--- request eval
"PUT /upload/x.bin\n" . ("n" x 100000)
--- error_code: 409
--- response_body
{"error":"exists","message":"target already exists"}
--- stored_file: x.bin
--- stored_body: original
--- error_log eval
qr/\[error\] .*bigupload: ".*\/store\/x\.bin" exists and bigupload_overwrite is off/
--- no_error_log
[crit]
--- check
my @errors = grep { /\[(error|crit|alert)\]/ } split /\n/, error_log_text();
is(scalar @errors, 1, "logged once");



=== TEST 2: 409 comes before the body: no 100 Continue is sent
--- init
open my $fh, '>', store_path("x.bin") or die; print $fh "original"; close $fh;
--- more_headers
Expect: 100-continue
--- request
PUT /upload/x.bin
--- request_body_gen: 8m 2
--- error_code: 409
--- check
is(scalar @{ $response->{interim} || [] }, 0, "no interim 100 Continue");
--- stored_file: x.bin
--- stored_body: original



=== TEST 3: with overwrite on, the target is replaced atomically and 200 answered
--- config
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
    bigupload_overwrite on;
}
--- init
open my $fh, '>', store_path("x.bin") or die; print $fh "original"; close $fh;
--- request eval
"PUT /upload/x.bin\nreplacement"
--- error_code: 200
--- response_headers
!Location
--- response_body_like: "path":"/x.bin","size":11,
--- stored_file: x.bin
--- stored_body: replacement



=== TEST 4: If-None-Match: * refuses an existing target even with overwrite on
--- config
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
    bigupload_overwrite on;
}
--- init
open my $fh, '>', store_path("x.bin") or die; print $fh "original"; close $fh;
--- more_headers
If-None-Match: *
--- request eval
"PUT /upload/x.bin\nreplacement"
--- error_code: 412
--- response_body_like: "error":"precondition_failed"
--- stored_body: original
--- stored_file: x.bin
--- error_log
bigupload: precondition failed for "



=== TEST 5: If-None-Match: * lets a new file through
--- more_headers
If-None-Match: *
--- request eval
"PUT /upload/new.bin\nfresh"
--- error_code: 201
--- stored_file: new.bin
--- stored_body: fresh



=== TEST 6: If-Match: * on a missing target is 412 and creates nothing
--- config
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
    bigupload_overwrite on;
}
--- more_headers
If-Match: *
--- request eval
"PUT /upload/missing.bin\ndata"
--- error_code: 412
--- not_stored
missing.bin



=== TEST 7: If-Match with the current entity tag replaces, a stale one is 412
--- config
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
    bigupload_overwrite on;
}
location /files/ {
    alias $TEST_NGINX_STORE/;
}
--- init
open my $fh, '>', store_path("x.bin") or die; print $fh "original"; close $fh;
--- check
# the ETag nginx's static module shows for the file is what If-Match takes
my ($st, $h) = http_request(method => 'GET', uri => '/files/x.bin');
is($st, 200, "GET the file");
my $etag = $h->{etag};
like($etag, qr/^"[0-9a-f]+-8"$/, "static ETag");
my ($s1) = http_request(method => 'PUT', uri => '/upload/x.bin',
                        headers => { 'If-Match' => '"1-1"' }, body => 'stale');
is($s1, 412, "stale entity tag");
my ($s2) = http_request(method => 'PUT', uri => '/upload/x.bin',
                        headers => { 'If-Match' => $etag }, body => 'matched');
is($s2, 200, "current entity tag");
open my $in, '<', store_path("x.bin") or die; local $/; my $c = <$in>;
is($c, "matched", "replaced");



=== TEST 8: a trailing slash is a collection: 409
--- request eval
"PUT /upload/dir/\ndata"
--- error_code: 409
--- response_body_like: "error":"is_collection"
--- not_stored
dir



=== TEST 9: the location itself is a collection too
--- request eval
"PUT /upload/\ndata"
--- error_code: 409
--- response_body_like: "error":"is_collection"



=== TEST 10: a directory at the target is 409 even with overwrite on
--- config
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
    bigupload_overwrite on;
}
--- init
mkdir store_path("d") or die;
--- request eval
"PUT /upload/d\ndata"
--- error_code: 409
--- response_body_like: "error":"is_directory"
--- check
ok(-d store_path("d"), "directory still there");



=== TEST 11: a file where a directory should be is 409
--- init
open my $fh, '>', store_path("f") or die; close $fh;
--- request eval
"PUT /upload/f/x.bin\ndata"
--- error_code: 409
--- response_body_like: "error":"not_a_directory"
--- error_log eval
qr/\[error\] .*bigupload: openat ".*\/store\/f" failed \(20: Not a directory\)/



=== TEST 12: with bigupload_create_dirs off, a missing parent is 409
--- config
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
    bigupload_create_dirs off;
}
--- request eval
"PUT /upload/nodir/x.bin\ndata"
--- error_code: 409
--- response_body_like: "error":"no_parent"
--- not_stored
nodir



=== TEST 13: with bigupload_create_dirs off, an existing directory is fine
--- config
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
    bigupload_create_dirs off;
}
--- init
mkdir store_path("d") or die;
--- request eval
"PUT /upload/d/x.bin\ndata"
--- error_code: 201
--- stored_file: d/x.bin
--- stored_body: data



=== TEST 14: malformed If-Match is 400, and says why
--- more_headers
If-Match: not-a-tag
--- request eval
"PUT /upload/x.bin\ndata"
--- error_code: 400
--- response_body
{"error":"bad_precondition","message":"If-Match is not a list of entity-tags (\"tag\", W/\"tag\")"}
--- not_stored
x.bin
--- error_log
bigupload: bad If-Match "not-a-tag" for "/x.bin": If-Match is not a list of entity-tags



=== TEST 15: If-None-Match given twice is 400 (nginx's own answer), and the file stays
--- config
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
    bigupload_overwrite on;
}
--- init
open my $fh, '>', store_path("x.bin") or die; print $fh "original"; close $fh;
utime 1000000000, 1000000000, store_path("x.bin") or die;
--- raw_request eval
"PUT /upload/x.bin HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
. "If-None-Match: \"nope\"\r\nIf-None-Match: \"3b9aca00-8\"\r\nContent-Length: 3\r\n\r\nnew"
--- error_code: 400
--- stored_file: x.bin
--- stored_body: original
--- error_log
client sent duplicate header line: "If-None-Match: "3b9aca00-8""



=== TEST 16: an empty If-Match is 400, not an absent one
--- raw_request eval
"PUT /upload/x.bin HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
. "If-Match:\r\nContent-Length: 3\r\n\r\nnew"
--- error_code: 400
--- response_body
{"error":"bad_precondition","message":"If-Match is empty"}
--- not_stored
x.bin
--- error_log
bigupload: bad If-Match "" for "/x.bin": If-Match is empty



=== TEST 17: If-None-Match with "*" and a tag is 400: "*" stands alone
--- more_headers
If-None-Match: *, "a"
--- request eval
"PUT /upload/x.bin\nnew"
--- error_code: 400
--- response_body
{"error":"bad_precondition","message":"If-None-Match is \"*\" alone or entity-tags, not both"}
--- not_stored
x.bin
