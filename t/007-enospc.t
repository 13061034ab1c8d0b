# Disk full: 507, a crit log line with errno, and nothing left behind.
use lib 't/lib';
use Test::BigUpload;

# a 2 MiB tmpfs as the store, where mounting is permitted
my $mnt = Test::BigUpload::servroot() . "/tiny";
mkdir $mnt;
my $mounted = system("mount -t tmpfs -o size=2m tmpfs '$mnt' 2>/dev/null") == 0;
$ENV{TEST_NGINX_TINY} = $mnt;
$ENV{TEST_NGINX_MOUNTED} = $mounted ? 1 : 0;
END { system("umount '$mnt' 2>/dev/null") if $mounted; }
diag("cannot mount a tmpfs here (needs root and CAP_SYS_ADMIN): skipping disk-full tests")
    unless $mounted;

# The config of every block that has no --- config of its own.
default_sections(config => <<'_EOC_');
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_TINY;
}
_EOC_

run_tests();

__DATA__

=== TEST 1: a body larger than the free space gets 507 and leaves no temp file (through the ring)
--- skip_if: !$ENV{TEST_NGINX_MOUNTED}
--- skip_reason: mounting a tmpfs is not permitted here
--- config
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_TINY;
    bigupload_splice off;
}
--- request
PUT /upload/full.bin
--- request_body_gen: 8m 1
--- error_code: 507
--- response_headers
Connection: close
--- response_body
{"error":"no_space","message":"no space left on the storage device"}
--- error_log eval
qr/\[crit\] .*bigupload: pwrite ".*\/tiny\/\.bigupload-[0-9a-f]+" failed \(28: No space left on device\)/
--- check
opendir my $d, $ENV{TEST_NGINX_TINY} or die; my @left = grep { !/^\.\.?$/ } readdir $d;
is("@left", "", "nothing left in the full store");
my @errors = grep { /\[(error|crit|alert)\]/ } split /\n/, error_log_text();
is(scalar @errors, 1, "logged once");



=== TEST 2: a spliced body larger than the free space gets 507 and leaves no temp file
--- skip_if: !$ENV{TEST_NGINX_MOUNTED}
--- skip_reason: mounting a tmpfs is not permitted here
--- request
PUT /upload/full.bin
--- request_body_gen: 8m 1
--- error_code: 507
--- response_headers
Connection: close
--- response_body
{"error":"no_space","message":"no space left on the storage device"}
--- error_log eval
qr/\[crit\] .*bigupload: splice ".*\/tiny\/\.bigupload-[0-9a-f]+" failed \(28: No space left on device\)/
--- check
opendir my $d, $ENV{TEST_NGINX_TINY} or die; my @left = grep { !/^\.\.?$/ } readdir $d;
is("@left", "", "nothing left in the full store");
my @errors = grep { /\[(error|crit|alert)\]/ } split /\n/, error_log_text();
is(scalar @errors, 1, "logged once");



=== TEST 3: after a disk-full failure the space is free again and uploads work
--- skip_if: !$ENV{TEST_NGINX_MOUNTED}
--- skip_reason: mounting a tmpfs is not permitted here
--- check
my ($s1) = http_request(method => 'PUT', uri => '/upload/a.bin', body => "a" x 3_000_000);
is($s1, 507, "too big for the disk");
my ($s2, undef, $b2) = http_request(method => 'PUT', uri => '/upload/b.bin', body => "b" x 1_000_000);
is($s2, 201, "fits after the failed one was removed") or diag($b2);
ok(-s "$ENV{TEST_NGINX_TINY}/b.bin" == 1_000_000, "b.bin whole");
unlink "$ENV{TEST_NGINX_TINY}/b.bin";



=== TEST 4: a read-only store is 403 with a crit line
--- skip_if: !$ENV{TEST_NGINX_MOUNTED}
--- skip_reason: mounting a tmpfs is not permitted here
--- setup
system("mount -o remount,ro '$ENV{TEST_NGINX_TINY}'") == 0 or die "remount ro";
--- request eval
"PUT /upload/ro.bin\nx"
--- error_code: 403
--- response_body_like: "error":"read_only"
--- error_log eval
qr/\[crit\] .*bigupload: openat ".*\/tiny\/\.bigupload-[0-9a-f]+" failed \(30: Read-only file system\)/
--- check
system("mount -o remount,rw '$ENV{TEST_NGINX_TINY}'") == 0 or die "remount rw";
pass("remounted read-write");



=== TEST 5: disk full during a resumable upload: 507, and what arrived is kept
--- skip_if: !$ENV{TEST_NGINX_MOUNTED}
--- skip_reason: mounting a tmpfs is not permitted here
--- temp_files_allowed
--- check
my $data = "r" x 3_000_000;
my ($s1, undef, $b1) = http_request(method => 'PUT', uri => '/upload/res.bin', body => $data,
    headers => { 'Upload-Key' => 'full' });
is($s1, 507, "disk full");
like($b1, qr/"error":"no_space"/, "no_space");
my ($s2, $h2) = http_request(method => 'HEAD', uri => '/upload/res.bin', headers => { 'Upload-Key' => 'full' });
is($s2, 204, "the partial is kept");
cmp_ok($h2->{'upload-offset'}, '>', 0, "with what arrived ($h2->{'upload-offset'} bytes)");
my ($s3) = http_request(method => 'DELETE', uri => '/upload/res.bin', headers => { 'Upload-Key' => 'full' });
is($s3, 204, "cancelled, space freed");
