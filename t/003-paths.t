# Remote path safety: traversal corpus, symlinks, store variables, root/alias.
use lib 't/lib';
use Test::BigUpload;

run_tests();

__DATA__

=== TEST 1: traversal corpus: every request is a 400 and nothing is written anywhere
--- config
location / {
    bigupload;
    bigupload_store $TEST_NGINX_STORE/root;
}
--- setup
mkdir store_path("outside") or die;
mkdir store_path("root") or die;
--- check
my @corpus = (
    '/../outside/evil1',
    '/a/../../outside/evil2',
    '/%2e%2e/outside/evil3',
    '/a/%2e%2e/%2e%2e/outside/evil4',
    '/a/%2E%2E/%2e%2E/outside/evil5',
    '/a/../b',
    '/a/./b',
    '/./b',
    '//outside/evil6',
    '/a//b',
    '/a%2f..%2f..%2foutside%2fevil7',
    '/a%2F%2Fb',
    '/a%5c..%5c..%5coutside%5cevil8',
    '/a\\..\\..\\outside\\evil9',
    '/a%00b',
    '/%zz',
    '/a%2',
    '/.bigupload-0123456789abcdef',
    '/d/.bigupload-x',
);
for my $uri (@corpus) {
    my ($st, $h, $b) = http_request(method => 'PUT', uri => $uri, body => 'evil');
    is($st, 400, "PUT $uri is 400");
}
opendir my $d, store_path("outside") or die; my @o = grep { !/^\.\.?$/ } readdir $d;
is(scalar @o, 0, "nothing written outside the store root");
my @found;
use File::Find;
find(sub { push @found, $File::Find::name if -f $_ || -l $_ }, store_path("root"));
is("@found", "", "nothing written inside the store root");
--- no_error_log
[alert]
[crit]



=== TEST 2: the module's own answer for a dot segment nginx would have resolved
--- config
location / {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
}
--- request eval
"PUT /a/../b.bin\nevil"
--- error_code: 400
--- response_body
{"error":"bad_path","message":"path contains a \".\" or \"..\" segment"}
--- not_stored
b.bin
a
--- error_log
bigupload: invalid path "/a/../b.bin": path contains a "." or ".." segment



=== TEST 3: a backslash is refused
--- config
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
}
--- request eval
"PUT /upload/a%5Cb\nx"
--- error_code: 400
--- response_body_like: "message":"path contains a backslash"



=== TEST 4: a symlink inside the store cannot lead a write out of it
--- config
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE/root;
}
--- setup
mkdir store_path("root") or die;
mkdir store_path("outside") or die;
symlink(store_path("outside"), store_path("root/link")) or die;
--- request eval
"PUT /upload/link/evil.bin\nevil"
--- error_code: 403
--- response_body_like: "error":"symlink"
--- not_stored
outside/evil.bin
--- error_log eval
qr/\[error\] .*bigupload: openat ".*\/root\/link" failed \(40: Too many levels of symbolic links\)/



=== TEST 5: a symlink deeper in the path is refused too, and no directory is created beyond it
--- config
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE/root;
}
--- setup
mkdir store_path("root") or die;
mkdir store_path("root/a") or die;
mkdir store_path("outside") or die;
symlink(store_path("outside"), store_path("root/a/link")) or die;
--- request eval
"PUT /upload/a/link/b/c/evil.bin\nevil"
--- error_code: 403
--- not_stored
outside/b



=== TEST 6: a symlink at the target is replaced itself (overwrite on), never written through
--- config
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE/root;
    bigupload_overwrite on;
}
--- setup
mkdir store_path("root") or die;
mkdir store_path("outside") or die;
open my $fh, '>', store_path("outside/secret") or die; print $fh "secret"; close $fh;
symlink(store_path("outside/secret"), store_path("root/t.bin")) or die;
--- request eval
"PUT /upload/t.bin\nreplaced"
--- error_code: 200
--- stored_file: root/t.bin
--- stored_body: replaced
--- check
open my $in, '<', store_path("outside/secret") or die; local $/;
is(scalar <$in>, "secret", "the symlink's target is untouched");



=== TEST 7: bigupload_store with $remote_user gives every user their own tree
--- config
location /upload/ {
    auth_basic "uploads";
    auth_basic_user_file $TEST_NGINX_SERVROOT/conf/htpasswd;
    bigupload;
    bigupload_store $TEST_NGINX_STORE/users/$remote_user;
}
--- setup
open my $fh, '>', "$TEST_NGINX_SERVROOT/conf/htpasswd" or die;
print $fh "alice:{PLAIN}wonderland\nbob:{PLAIN}builder\n"; close $fh;
--- check
use MIME::Base64;
my ($s1) = http_request(method => 'PUT', uri => '/upload/notes.txt', body => 'from alice',
    headers => { Authorization => 'Basic ' . encode_base64('alice:wonderland', '') });
is($s1, 201, "alice uploads");
my ($s2) = http_request(method => 'PUT', uri => '/upload/notes.txt', body => 'from bob',
    headers => { Authorization => 'Basic ' . encode_base64('bob:builder', '') });
is($s2, 201, "bob uploads the same name into his own tree");
my ($s3) = http_request(method => 'PUT', uri => '/upload/notes.txt', body => 'anon');
is($s3, 401, "no credentials, no upload");
open my $a, '<', store_path("users/alice/notes.txt") or die; local $/;
is(scalar <$a>, "from alice", "alice's file");
open my $b, '<', store_path("users/bob/notes.txt") or die;
is(scalar <$b>, "from bob", "bob's file");



=== TEST 8: without bigupload_store, root maps the URI like for static files
--- config
location /r/ {
    bigupload;
    root $TEST_NGINX_STORE/rootdir;
}
--- request eval
"PUT /r/x/y.bin\nrooted"
--- error_code: 201
--- response_body_like: "path":"/r/x/y.bin"
--- stored_file: rootdir/r/x/y.bin
--- stored_body: rooted



=== TEST 9: without bigupload_store, alias maps the URI like for static files
--- config
location /al/ {
    bigupload;
    alias $TEST_NGINX_STORE/aliasdir/;
}
--- request eval
"PUT /al/x/y.bin\naliased"
--- error_code: 201
--- response_body_like: "path":"/x/y.bin"
--- stored_file: aliasdir/x/y.bin
--- stored_body: aliased



=== TEST 10: a regex location stores the whole URI under the store
--- config
location ~ ^/rx/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
}
--- request eval
"PUT /rx/a.bin\nregex"
--- error_code: 201
--- stored_file: rx/a.bin
--- stored_body: regex



=== TEST 11: a file name longer than the filesystem allows is 414
--- config
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
}
--- request eval
"PUT /upload/" . ("n" x 300) . "\nx"
--- error_code: 414
--- response_body_like: "error":"path_too_long"



=== TEST 12: a bad % escape or a NUL never reaches the module: nginx answers its own HTML 400
--- config
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
}
--- check
for my $uri ('/upload/a%00b', '/upload/%zz', '/upload/a%2', "/upload/a\x00b") {
    my ($st, $h, $b) = http_request(method => 'PUT', uri => $uri, body => 'evil');
    (my $name = $uri) =~ s/\x00/\\0/;
    is($st, 400, "PUT $name is 400");
    is($h->{'content-type'}, 'text/html', "nginx's page, not JSON");
    like($b, qr{<title>400 Bad Request</title>}, "nginx's 400 page");
}
--- no_error_log
invalid path
[crit]



=== TEST 13: a newline in a remote path (%0A) is escaped in the log, which gets no line of the client's
--- log_level: info
--- config
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
}
--- setup
open my $fh, '>', store_path("a\n[crit] forged.bin") or die; close $fh;
--- request eval
"PUT /upload/a%0A%5Bcrit%5D%20forged.bin\nx"
--- error_code: 409
--- response_body_like: "error":"exists"
--- error_log eval
qr{bigupload: ".*/a\\x0a\[crit\] forged\.bin" exists and bigupload_overwrite is off}
--- check
# (at info: nginx's own debug lines show the decoded URI as it is)
unlike(error_log_text(), qr/^\[crit\] forged/m, "no log line starts with what the client sent");
