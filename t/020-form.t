# HTML forms: a POST of multipart/form-data to a directory stores each file
# part as a file of that directory (atomic, sha256), all or nothing per
# request; the other fields go with the files to bigupload_pass as JSON.
# Real envelopes (curl -F, a browser without JavaScript) and hand-made
# broken ones: every refusal is a 400 (or 413, 409) that leaves no file, not
# even the files of the same request that came before the error.
use lib 't/lib';
use Test::BigUpload;
use JSON::PP;
use Time::HiRes qw(sleep);

default_sections(config => <<'_EOC_');
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
}
_EOC_

# a multipart body with boundary "XyZ": parts are [name, filename, data, type]
# (filename undef: a field)
sub form {
    my $body = "";
    for my $p (@_) {
        my ($name, $filename, $data, $type) = @$p;
        $body .= "--XyZ\r\nContent-Disposition: form-data; name=\"$name\"";
        $body .= "; filename=\"$filename\"\r\nContent-Type: " . ($type // "application/octet-stream")
            if defined $filename;
        $body .= "\r\n\r\n$data\r\n";
    }
    return $body;
}

sub close_delim { "--XyZ--\r\n" }

# every file in the store (directories left out), sorted
sub stored_files {
    my @files;
    my $walk;
    $walk = sub {
        my ($dir, $rel) = @_;
        opendir my $dh, $dir or return;
        for my $n (sort grep { !/^\.\.?$/ } readdir $dh) {
            my $path = "$dir/$n";
            if (-d $path && !-l $path) { $walk->($path, "$rel$n/") } else { push @files, "$rel$n" }
        }
    };
    $walk->($ENV{TEST_NGINX_STORE}, "");
    return join(",", @files);
}

our $CT = "Content-Type: multipart/form-data; boundary=XyZ";

run_tests();

__DATA__

=== TEST 1: curl -F with one file: stored in the directory, the answer is the JSON list
--- setup
gen_file("$TEST_NGINX_TMP/one.bin", 300000, 1);
--- exec
curl -sS -F file=@$TEST_NGINX_TMP/one.bin -w '%{http_code}' http://127.0.0.1:$TEST_NGINX_PORT/upload/docs/
--- exit_code: 0
--- check
my ($json, $code) = split /\n/, $exec_stdout;
is($code, 201, "201 Created");
is_deeply(decode_json($json), [{ field => "file", filename => "one.bin", path => "/docs/one.bin",
                                 size => 300000, sha256 => sha256_file("$TEST_NGINX_TMP/one.bin"),
                                 created => JSON::PP::true }], "the list of the stored files");
--- stored_file: docs/one.bin
--- stored_sha256 eval: gen_file("$main::TEST_NGINX_TMP/one.bin", 300000, 1)
--- error_log eval
[qr/\[info\] .*bigupload: stored "[^"]*\/docs\/one\.bin" \(300000 bytes, sha256 [0-9a-f]{64}\) from a form/]
--- no_error_log
[error]



=== TEST 2: curl -F with three files and fields, to the location itself: the files in order, the fields not stored
--- setup
gen_file("$TEST_NGINX_TMP/a.bin", 2500000, 2);
gen_file("$TEST_NGINX_TMP/b.bin", 1, 3);
gen_file("$TEST_NGINX_TMP/c.bin", 5000000, 4);
--- exec
curl -sS -F title=Holiday -F a=@$TEST_NGINX_TMP/a.bin -F 'b=@$TEST_NGINX_TMP/b.bin;type=text/plain' -F note=x -F c=@$TEST_NGINX_TMP/c.bin http://127.0.0.1:$TEST_NGINX_PORT/upload/
--- exit_code: 0
--- check
my $j = decode_json($exec_stdout);
is(scalar @$j, 3, "three files");
is_deeply([map { $_->{path} } @$j], ["/a.bin", "/b.bin", "/c.bin"], "in the form's order");
is_deeply([map { $_->{field} } @$j], ["a", "b", "c"], "with their inputs' names");
is_deeply([map { $_->{size} } @$j], [2500000, 1, 5000000], "sizes");
for my $f (qw(a b c)) {
    is(sha256_file(store_path("$f.bin")), sha256_file("$TEST_NGINX_TMP/$f.bin"), "$f.bin stored whole");
    is((grep { $_->{path} eq "/$f.bin" } @$j)[0]{sha256}, sha256_file("$TEST_NGINX_TMP/$f.bin"), "$f.bin's sha256 answered");
}
is(main::stored_files(), "a.bin,b.bin,c.bin", "nothing else in the store");
--- no_error_log
[error]



=== TEST 3: over HTTP/2 and chunked, the same
--- setup
gen_file("$TEST_NGINX_TMP/h.bin", 3000000, 5);
--- exec
curl -sS --http2-prior-knowledge -F x=@$TEST_NGINX_TMP/h.bin -o /dev/null -w '%{http_code} ' http://127.0.0.1:$TEST_NGINX_H2_PORT/upload/h2/
curl -sS -H 'Transfer-Encoding: chunked' -F x=@$TEST_NGINX_TMP/h.bin -o /dev/null -w '%{http_code}' http://127.0.0.1:$TEST_NGINX_PORT/upload/chunked/
--- exit_code: 0
--- stdout: 201 201
--- stored_file
h2/h.bin
chunked/h.bin
--- stored_sha256 eval
my $s = gen_file("$main::TEST_NGINX_TMP/h.bin", 3000000, 5); "$s\n$s\n"



=== TEST 4: a non-ASCII file name is stored under that name
--- setup
open my $fh, '>', "$TEST_NGINX_TMP/u.txt" or die; print $fh "unicode"; close $fh;
--- exec
curl -sS -F 'f=@$TEST_NGINX_TMP/u.txt;filename=été 日本.txt' http://127.0.0.1:$TEST_NGINX_PORT/upload/u/
--- exit_code: 0
--- check
my $j = decode_json($exec_stdout);
is($j->[0]{path}, "/u/\x{e9}t\x{e9} \x{65e5}\x{672c}.txt", "the path, as UTF-8 in the JSON");
is(main::stored_files(), "u/été 日本.txt", "the file, named by the form's bytes");
open my $fh, '<', store_path("u/été 日本.txt") or die; is(scalar <$fh>, "unicode", "its content");



=== TEST 5: an empty file input (filename="", no data) is no file; a form of only empty inputs is 400
--- request eval
"POST /upload/e/\n" . main::form(["pic", "", ""], ["doc", "d.txt", "doc"], ["pic2", "", ""]) . main::close_delim()
--- more_headers eval
$main::CT
--- error_code: 201
--- response_body eval
'[{"field":"doc","filename":"d.txt","path":"/e/d.txt","size":3,"sha256":"' . sha256_hex("doc") . '","created":true}]' . "\n"
--- stored_file: e/d.txt
--- stored_body: doc



=== TEST 6: only empty file inputs: 400 no_file, nothing stored
--- request eval
"POST /upload/e/\n" . main::form(["title", undef, "t"], ["pic", "", ""]) . main::close_delim()
--- more_headers eval
$main::CT
--- error_code: 400
--- response_body
{"error":"no_file","message":"the form holds no file: choose at least one"}
--- check
is(main::stored_files(), "", "nothing stored");
--- error_log
bigupload: a form without a file for "/e/"



=== TEST 7: a filename with ../ is 400 and the file before it in the same form is not kept
--- request eval
"POST /upload/d/\n" . main::form(["f", "first.txt", "1" x 100000], ["f", "../../evil.txt", "evil"]) . main::close_delim()
--- more_headers eval
$main::CT
--- error_code: 400
--- response_body
{"error":"bad_filename","message":"bad file name in the form: path contains a \".\" or \"..\" segment"}
--- check
is(main::stored_files(), "", "nothing stored, not the first file either");
ok(!-e "$TEST_NGINX_STORE/../evil.txt", "nothing outside the store");
--- error_log
bigupload: file name "../../evil.txt" in the form for "/d/" refused: path contains a "." or ".." segment



=== TEST 8: a bad name early in a big form is answered at once, the connection closed, nothing stored
--- request eval
"POST /upload/d/\n" . main::form(["f", "../x", "x"], ["f", "big.bin", "b" x 8000000]) . main::close_delim()
--- more_headers eval
$main::CT
--- error_code: 400
--- response_headers
Connection: close
--- response_body_like: "error":"bad_filename"
--- check
is(main::stored_files(), "", "nothing stored");



=== TEST 9: absolute names, backslashes, the reserved prefix: 400 each, nothing stored
--- check
for my $name ("/etc/passwd", "C:\\Users\\x.txt", ".bigupload-x", "a//b", "a/./b") {
    my ($st, $h, $body) = http_request(method => 'POST', uri => '/upload/n/',
        headers => [$main::CT], body => main::form(["f", "ok.txt", "ok"], ["f", $name, "x"]) . main::close_delim());
    is($st, 400, "$name: 400");
    is(decode_json($body)->{error}, "bad_filename", "$name: bad_filename");
}
is(main::stored_files(), "", "nothing stored");



=== TEST 10: the boundary inside the data (a damaged delimiter line) is 400, nothing stored
--- request eval
"POST /upload/d/\n" . main::form(["f", "first.txt", "one"]) . "--XyZ junk\r\n" . main::form(["f", "second.txt", "two"]) . main::close_delim()
--- more_headers eval
$main::CT
--- error_code: 400
--- response_body
{"error":"bad_form","message":"malformed multipart/form-data body: a boundary line followed by something other than CRLF or \"--\""}
--- check
is(main::stored_files(), "", "nothing stored");
--- error_log
bigupload: bad form for "/d/" (form_bad_delimiter)



=== TEST 11: a part without its end (no closing boundary) is 400, nothing stored
--- request eval
"POST /upload/d/\n" . main::form(["f", "first.txt", "one"]) . "--XyZ\r\nContent-Disposition: form-data; name=\"f\"; filename=\"cut.txt\"\r\n\r\n" . ("c" x 200000)
--- more_headers eval
$main::CT
--- error_code: 400
--- response_body_like: \A\{"error":"bad_form","message":"malformed multipart/form-data body: form body ended before its closing boundary"\}
--- check
is(main::stored_files(), "", "nothing stored");
--- error_log
(form_truncated)



=== TEST 12: huge part headers are 400, nothing stored
--- request eval
"POST /upload/d/\n" . main::form(["f", "first.txt", "one"]) . "--XyZ\r\nContent-Disposition: form-data; name=\"f\"; filename=\"h.txt\"\r\nX-Pad: " . ("p" x 100000) . "\r\n\r\nx\r\n" . main::close_delim()
--- more_headers eval
$main::CT
--- error_code: 400
--- response_body_like: "error":"bad_form","message":"malformed multipart/form-data body: a form part's headers are too long"
--- check
is(main::stored_files(), "", "nothing stored");



=== TEST 13: no boundary, or an invalid one, in the Content-Type: 400 before the body
--- check
for my $ct ("multipart/form-data", "multipart/form-data; boundary=", "multipart/form-data; boundary=" . ("b" x 71)) {
    my ($st, $h, $body) = http_request(method => 'POST', uri => '/upload/d/',
        headers => ["Content-Type: $ct"], body => main::form(["f", "x.txt", "x"]) . main::close_delim());
    is($st, 400, "'$ct': 400");
    is(decode_json($body)->{error}, "bad_form", "'$ct': bad_form");
    is($h->{connection}, "close", "'$ct': the connection closed");
}
is(main::stored_files(), "", "nothing stored");
--- error_log
bigupload: bad form for "/d/" (form_no_boundary): multipart/form-data without a boundary parameter



=== TEST 14: a form is POSTed to a directory: a file's URI is 400, a PUT of a form 405
--- check
my ($st, $h, $body) = http_request(method => 'POST', uri => '/upload/f.bin',
    headers => [$main::CT], body => main::form(["f", "x.txt", "x"]) . main::close_delim());
is($st, 400, "POST to a file's URI: 400");
is($body, qq({"error":"bad_path","message":"a form is posted to a directory: end the URI with \\"/\\""}\n), "says so");
($st, $h, $body) = http_request(method => 'PUT', uri => '/upload/d/',
    headers => [$main::CT], body => main::form(["f", "x.txt", "x"]) . main::close_delim());
is($st, 405, "PUT: 405");
is($h->{allow}, "POST", "Allow: POST");
is(main::stored_files(), "", "nothing stored");



=== TEST 15: where bigupload_protocols leaves "form" out, a form is 415 as before
--- config
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
    bigupload_protocols native;
}
--- request eval
"POST /upload/d.bin\n" . main::form(["f", "x.txt", "x"]) . main::close_delim()
--- more_headers eval
$main::CT
--- error_code: 415
--- response_body_like: "error":"unsupported_media_type"
--- check
is(main::stored_files(), "", "nothing stored");



=== TEST 16: bigupload_max_size is per file, bigupload_form_max_size per request
--- config
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
    bigupload_max_size 1000;
    bigupload_form_max_size 3000;
}
--- check
# two files of 1000 bytes: each within bigupload_max_size, the body over it
my ($st, $h, $body) = http_request(method => 'POST', uri => '/upload/ok/', headers => [$main::CT],
    body => main::form(["f", "1", "1" x 1000], ["f", "2", "2" x 1000]) . main::close_delim());
is($st, 201, "files of bigupload_max_size: 201");
is(main::stored_files(), "ok/1,ok/2", "both stored");

($st, $h, $body) = http_request(method => 'POST', uri => '/upload/big/', headers => [$main::CT],
    body => main::form(["f", "1", "1" x 1000], ["f", "2", "2" x 1001]) . main::close_delim());
is($st, 413, "a file over bigupload_max_size: 413");
is($body, qq({"error":"too_large","message":"a file of the form exceeds bigupload_max_size"}\n), "says which limit");

# the whole body over bigupload_form_max_size: by its Content-Length, before the body
($st, $h, $body) = http_request(method => 'POST', uri => '/upload/req/', headers => [$main::CT],
    body => main::form(["f", "1", "1" x 1000], ["f", "2", "2" x 1000], ["f", "3", "3" x 1000]) . main::close_delim());
is($st, 413, "a body over bigupload_form_max_size: 413");
is($body, qq({"error":"too_large","message":"the form exceeds bigupload_form_max_size"}\n), "says which limit");

# and while it streams, chunked
($st, $h, $body) = http_request(method => 'POST', uri => '/upload/req2/',
    headers => [$main::CT, "Transfer-Encoding: chunked"],
    body => chunked_body(main::form(["f", "1", "1" x 1000], ["f", "2", "2" x 1000]), main::form(["f", "3", "3" x 1000]) . main::close_delim()));
is($st, 413, "a chunked body over bigupload_form_max_size: 413");
is(main::stored_files(), "ok/1,ok/2", "nothing more stored");
--- error_log
the form for "/req/" exceeds bigupload_form_max_size 3000
file "2" of the form for "/big/" exceeds bigupload_max_size 1000



=== TEST 17: bigupload_form_fields bounds the fields, bigupload_form_max_files the files
--- config
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
    bigupload_form_fields 20;
    bigupload_form_max_files 2;
}
--- check
my ($st, $h, $body) = http_request(method => 'POST', uri => '/upload/a/', headers => [$main::CT],
    body => main::form(["title", undef, "x" x 15], ["f", "1", "1"]) . main::close_delim());
is($st, 201, "20 bytes of fields: 201");
($st, $h, $body) = http_request(method => 'POST', uri => '/upload/b/', headers => [$main::CT],
    body => main::form(["f", "1", "1"], ["title", undef, "x" x 16]) . main::close_delim());
is($st, 413, "21 bytes of fields: 413");
is(decode_json($body)->{message}, "the form's fields exceed bigupload_form_fields", "says which limit");
($st, $h, $body) = http_request(method => 'POST', uri => '/upload/c/', headers => [$main::CT],
    body => main::form(["f", "1", "1"], ["f", "2", "2"], ["f", "3", "3"]) . main::close_delim());
is($st, 413, "three files: 413");
is(decode_json($body)->{message}, "the form has more files than bigupload_form_max_files", "says which limit");
is(main::stored_files(), "a/1", "only the first form's file");



=== TEST 18: overwrite off: a form naming an existing file is 409 and stores none of its files; If-None-Match too
--- init
mkdir "$TEST_NGINX_STORE/d"; open my $fh, '>', "$TEST_NGINX_STORE/d/old.txt" or die; print $fh "old"; close $fh;
--- check
my ($st, $h, $body) = http_request(method => 'POST', uri => '/upload/d/', headers => [$main::CT],
    body => main::form(["f", "new.txt", "new"], ["f", "old.txt", "replacement"]) . main::close_delim());
is($st, 409, "409 Conflict");
is(decode_json($body)->{error}, "exists", "exists");
is(main::stored_files(), "d/old.txt", "the new file not kept");
open my $fh, '<', store_path("d/old.txt") or die; is(scalar <$fh>, "old", "the old one untouched");



=== TEST 19: overwrite on: replaced (200 when every file was replaced), one new file makes it 201
--- config
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
    bigupload_overwrite on;
}
--- init
mkdir "$TEST_NGINX_STORE/d"; open my $fh, '>', "$TEST_NGINX_STORE/d/old.txt" or die; print $fh "old"; close $fh;
--- check
my ($st, $h, $body) = http_request(method => 'POST', uri => '/upload/d/', headers => [$main::CT],
    body => main::form(["f", "old.txt", "replacement"]) . main::close_delim());
is($st, 200, "replaced: 200");
ok(!decode_json($body)->[0]{created}, "created: false");
($st, $h, $body) = http_request(method => 'POST', uri => '/upload/d/', headers => [$main::CT],
    body => main::form(["f", "old.txt", "again"], ["f", "new.txt", "new"]) . main::close_delim());
is($st, 201, "with a new file: 201");
($st, $h, $body) = http_request(method => 'POST', uri => '/upload/d/', headers => [$main::CT, "If-None-Match: *"],
    body => main::form(["f", "other.txt", "o"], ["f", "new.txt", "newer"]) . main::close_delim());
is($st, 412, "If-None-Match: * and an existing file: 412");
is(main::stored_files(), "d/new.txt,d/old.txt", "no other.txt");
open my $fh, '<', store_path("d/old.txt") or die; is(scalar <$fh>, "again", "replaced");



=== TEST 20: a client that goes away mid-form leaves nothing
--- request eval
"POST /upload/d/\n" . main::form(["f", "first.txt", "1" x 1000], ["f", "second.txt", "2" x 3000000]) . main::close_delim()
--- more_headers eval
$main::CT
--- abort_after: 2000000
--- check
is(main::stored_files(), "", "nothing stored");



=== TEST 21: bigupload_pass gets the files and the fields as JSON; the backend answers the client
--- http_config
log_format backend '$request_method $uri|$content_type|$http_x_trace|$request_body';
server {
    listen 127.0.0.1:$TEST_NGINX_PORT2;
    location /app {
        access_log $TEST_NGINX_SERVROOT/logs/backend.log backend;
        proxy_pass http://127.0.0.1:$TEST_NGINX_PORT2/reply;
    }
    location /reply { return 303 /thanks; }
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
--- request eval
"POST /upload/album/\n" . main::form(["title", undef, "Été \"2026\""], ["photo", "a.jpg", "AAA", "image/jpeg"], ["tag", undef, "sea"], ["tag", undef, "sun"], ["photo", "b.jpg", "BB", "image/jpeg"]) . main::close_delim()
--- more_headers eval
"$main::CT\nX-Trace: 7"
--- error_code: 303
--- response_headers
!Repr-Digest
--- check
my @lines = log_lines("backend.log", 1);
is(scalar @lines, 1, "one notice");
my ($req, $ct, $trace, $body) = split /\|/, $lines[0], 4;
is($req, "POST /app", "a POST");
is($ct, "application/json", "of JSON");
is($trace, "7", "with the client's headers");
my $j = JSON::PP->new->utf8->decode(unescape_log($body));
is($j->{result}, "complete", "result");
is($j->{path}, "/album/", "the directory");
is_deeply($j->{fields}, [{ name => "title", value => "\x{c9}t\x{e9} \"2026\"" }, { name => "tag", value => "sea" },
                         { name => "tag", value => "sun" }], "the fields, in order, repeated names kept");
is_deeply($j->{files}, [
    { field => "photo", filename => "a.jpg", content_type => "image/jpeg", path => "/album/a.jpg", size => 3,
      sha256 => sha256_hex("AAA"), file => "$TEST_NGINX_STORE/album/a.jpg", created => JSON::PP::true },
    { field => "photo", filename => "b.jpg", content_type => "image/jpeg", path => "/album/b.jpg", size => 2,
      sha256 => sha256_hex("BB"), file => "$TEST_NGINX_STORE/album/b.jpg", created => JSON::PP::true },
], "the files");
is(main::stored_files(), "album/a.jpg,album/b.jpg", "both stored");
--- error_log
bigupload: passing



=== TEST 22: bigupload_pass_cleanup removes every file of the form
--- http_config
server {
    listen 127.0.0.1:$TEST_NGINX_PORT2;
    location /app { return 422 '{"app":"no"}'; }
}
--- config
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
    bigupload_pass /backend;
    bigupload_pass_cleanup 422;
}
location /backend {
    internal;
    proxy_pass http://127.0.0.1:$TEST_NGINX_PORT2/app;
}
--- request eval
"POST /upload/x/\n" . main::form(["f", "1.txt", "1"], ["f", "2.txt", "2"]) . main::close_delim()
--- more_headers eval
$main::CT
--- error_code: 422
--- check
my $gone;
for (1 .. 50) { $gone = main::stored_files() eq ""; last if $gone; sleep 0.1; }
ok($gone, "both files removed");
--- error_log eval
[qr/backend answered 422 for "[^"]*1\.txt", removing it/, qr/backend answered 422 for "[^"]*2\.txt", removing it/]



=== TEST 23: an HTML form submitted by a real browser without JavaScript: three files, their sha256 on disk
--- skip_if: !-x "/usr/bin/chromium" || !-d "$ENV{TEST_NGINX_BUILD}/npm/node_modules/playwright-core"
--- skip_reason: needs chromium (scripts/install-deps --test) and playwright-core (make npm)
--- config
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
}
location = /form.html {
    root $TEST_NGINX_REPO/t/lib/browser;
}
location = /favicon.ico {
    return 204;
}
--- setup
gen_file("$TEST_NGINX_TMP/p1.bin", 1500000, 11);
gen_file("$TEST_NGINX_TMP/p2.bin", 7, 12);
gen_file("$TEST_NGINX_TMP/p3.bin", 4000000, 13);
--- exec
node t/lib/browser/submit-form.js http://127.0.0.1:$TEST_NGINX_PORT/form.html $TEST_NGINX_TMP/p1.bin $TEST_NGINX_TMP/p2.bin $TEST_NGINX_TMP/p3.bin
--- timeout: 120
--- exit_code: 0
--- check
my $r = decode_json($exec_stdout);
is($r->{status}, 201, "the browser got 201");
my $j = decode_json($r->{body});
is_deeply([map { $_->{path} } @$j], ["/browser/p1.bin", "/browser/p2.bin", "/browser/p3.bin"], "three files, in order");
for my $i (1 .. 3) {
    is(sha256_file(store_path("browser/p$i.bin")), sha256_file("$TEST_NGINX_TMP/p$i.bin"), "p$i.bin: its sha256 on disk");
    is($j->[$i - 1]{sha256}, sha256_file("$TEST_NGINX_TMP/p$i.bin"), "p$i.bin: the sha256 answered");
}
is(main::stored_files(), "browser/p1.bin,browser/p2.bin,browser/p3.bin", "nothing else");
--- error_log eval
[qr/bigupload: stored "[^"]*p3\.bin" \(4000000 bytes/]
--- no_error_log
[error]
