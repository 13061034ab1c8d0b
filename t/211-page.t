# The upload page (html/, built into build/html by make page) in a real
# browser: Debian's chromium, headless with a fresh profile, driven by
# playwright-core (t/node/page-test.mjs).  Two files chosen at once, the
# page reloaded mid-upload (upload throughput limited to 1 MiB/s through
# the DevTools protocol), the unfinished uploads listed after the reload,
# the same files chosen again: both continue where the server stopped
# (tus-js-client's URL storage), end with the sha256 the server reported
# shown, and the bytes on disk are the files'.  The screenshot is kept as
# build/page-upload.png.  Also: the page as make run serves it, with its
# plain-form fallback for browsers without JavaScript.
use lib 't/lib';
use Test::BigUpload;
use JSON::PP;

# The tus server the page uploads to: 'node' is @tus/server (npm, run by
# node, t/node/tus-server.mjs, with --digest for the Repr-Digest bigupload
# sends); 'module' is bigupload's own tus front-end at /upload/.  Until the
# front-end is merged the page runs against @tus/server; this one line
# switches it.
our $PAGE_SERVER = 'module';
$ENV{PAGE_SERVER} = $PAGE_SERVER;

our $CHROMIUM = -x '/usr/bin/chromium';

default_sections(config => <<'_EOC_');
location / {
    root $TEST_NGINX_BUILD/html;
    types {
        text/html html;
        text/css css;
        text/javascript js;
    }
}
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
}
_EOC_

run_tests();

__DATA__

=== TEST 1: two files, a reload mid-upload, chosen again: both resume and end byte-identical with the server's sha256
--- skip_if: !$main::CHROMIUM
--- skip_reason: no /usr/bin/chromium (scripts/install-deps --test installs it)
--- setup
gen_file(tmp_dir() . '/a.bin', parse_size('3m'), 51);
gen_file(tmp_dir() . '/b.bin', parse_size('2m'), 52);
--- exec
if [ "$PAGE_SERVER" = module ]; then
    URL=http://127.0.0.1:$TEST_NGINX_PORT/
else
    . t/lib/tus.sh; tus_start --digest --html $TEST_NGINX_BUILD/html
    URL=http://127.0.0.1:$TEST_NGINX_PORT2/
fi
node t/node/page-test.mjs --url "${URL}?chunk=262144" --throttle 1048576 --reload-at 524288 \
    --screenshot $TEST_NGINX_BUILD/page-upload.png $TEST_NGINX_TMP/a.bin $TEST_NGINX_TMP/b.bin
--- timeout: 150
--- exit_code: 0
--- check_tests: 13
--- check
my $r = JSON::PP->new->decode($exec_stdout);
my %want = (a => sha256_file(tmp_dir() . '/a.bin'), b => sha256_file(tmp_dir() . '/b.bin'));
my %size = (a => parse_size('3m'), b => parse_size('2m'));
is(join(' ', map { "$_->{name}:$_->{state}" } @{$r->{beforeReload}}), 'a.bin:running b.bin:running',
   'both uploading when the page was reloaded');
is(join(' ', sort @{$r->{pendingAfterReload}}), 'a.bin b.bin', 'after the reload both are listed as unfinished');
is($r->{pendingAtEnd}, 0, 'none left unfinished at the end');
for my $f (@{$r->{files}}) {
    my ($n) = $f->{name} =~ /^(a|b)\.bin$/;
    is($f->{sha256}, $want{$n}, "$f->{name}: the page shows the server's sha256, the file's");
    ok($f->{resumedAt} > 0 && $f->{resumedAt} < $size{$n},
       "$f->{name}: resumed at $f->{resumedAt} of $size{$n}");
    like($f->{text}, qr/done: .* \(resumed at .*\)\nsha256 $want{$n}/, "$f->{name}: what the row says");
}
my @disk;
if ($PAGE_SERVER eq 'module') {
    @disk = map { sha256_file(store_path($_)) } 'a.bin', 'b.bin';
} else {
    my $dir = tmp_dir() . '/tus-store';
    opendir my $dh, $dir or die "$dir: $!";
    my %by = map { sha256_file("$dir/$_") => 1 } grep { !/\.json$/ && -f "$dir/$_" } readdir $dh;
    @disk = map { $by{$want{$_}} ? $want{$_} : 'missing' } 'a', 'b';
}
is($disk[0], $want{a}, 'a.bin on disk');
is($disk[1], $want{b}, 'b.bin on disk');
ok(-s "$TEST_NGINX_BUILD/page-upload.png" > 1000, 'the screenshot is kept');
--- temp_files_allowed



=== TEST 2: the page as make run serves it: the uploader (hidden without JavaScript) and the plain form
--- request
GET /
--- error_code: 200
--- response_headers_like
Content-Type: text/html
--- response_body_like eval
qr{<div id="uploader" hidden>.*<input type="file" id="pick" multiple>.*<form id="plain" method="post" action="/upload/" enctype="multipart/form-data">\s*<fieldset>\s*<legend>[^<]+</legend>\s*<input type="file" name="file" multiple required>\s*<button type="submit">Upload</button>.*<script src="vendor/tus\.js"></script>\s*<script src="upload\.js"></script>}s



=== TEST 3: vendor/tus.js is tus-js-client's unminified browser build, from the npm install
--- request
GET /vendor/tus.js
--- error_code: 200
--- response_headers_like
Content-Type: text/javascript
--- check_tests: 2
--- check
my $npm = "$TEST_NGINX_BUILD/npm/node_modules/tus-js-client/dist/tus.js";
is(sha256_hex($body), sha256_file($npm), 'the same bytes as the package');
ok(($body =~ tr/\n//) > 1000, 'not minified: ' . ($body =~ tr/\n//) . ' lines');
