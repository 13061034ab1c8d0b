# Files across the 4 GiB boundary (make test-large), and memory that stays flat.
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

=== TEST 1: a 4.5 GiB upload crosses the 4 GiB boundary intact, worker RSS stays small
--- large
--- setup
# a sparse file: reads as zeros without taking disk space twice
truncate_file("$TEST_NGINX_TMP/sparse-4.5g", 4608 * 1048576);
sub truncate_file { open my $f, '>', $_[0] or die; truncate $f, $_[1] or die; close $f }
--- exec
curl -sS -T $TEST_NGINX_TMP/sparse-4.5g http://127.0.0.1:$TEST_NGINX_PORT/upload/big/4.5g.bin
--- timeout: 600
--- exit_code: 0
--- stdout_like: "size":4831838208,
--- check
is(-s store_path("big/4.5g.bin"), 4831838208, "size beyond 4 GiB");
is(sha256_file(store_path("big/4.5g.bin")), sha256_file("$TEST_NGINX_TMP/sparse-4.5g"), "sha256");
like($exec_stdout, qr/"sha256":"\Q@{[ sha256_file("$TEST_NGINX_TMP\/sparse-4.5g") ]}\E"/, "reported sha256");
for my $pid (worker_pids()) {
    open my $st, '<', "/proc/$pid/status" or next;
    my ($hwm) = map { /^VmHWM:\s+(\d+)/ ? $1 : () } <$st>;
    SKIP: {
        # (make test-asan: ASan's shadow memory and quarantine are in the RSS)
        skip "RSS under ASan", 1 if $ENV{BIGUPLOAD_SANITIZED};
        cmp_ok($hwm, '<', 16 * 1024, "worker $pid peak RSS ${hwm} kB under 16 MiB");
    }
}
unlink "$TEST_NGINX_TMP/sparse-4.5g", store_path("big/4.5g.bin");



=== TEST 2: chunked upload over 4 GiB
--- large
--- exec
head -c 4400000000 /dev/zero | curl -sS -T - http://127.0.0.1:$TEST_NGINX_PORT/upload/chunked-4g.bin
--- timeout: 600
--- exit_code: 0
--- stdout_like: "size":4400000000,
--- check
is(-s store_path("chunked-4g.bin"), 4400000000, "size");
unlink store_path("chunked-4g.bin");



=== TEST 3: memory does not grow with the body: 512 MiB, worker peak RSS under 16 MiB
--- exec
head -c 536870912 /dev/zero | curl -sS -o /dev/null -w '%{http_code}' -T - http://127.0.0.1:$TEST_NGINX_PORT/upload/half-g.bin
--- timeout: 120
--- stdout: 201
--- check
for my $pid (worker_pids()) {
    open my $st, '<', "/proc/$pid/status" or next;
    my ($hwm) = map { /^VmHWM:\s+(\d+)/ ? $1 : () } <$st>;
    SKIP: {
        skip "RSS under ASan", 1 if $ENV{BIGUPLOAD_SANITIZED};
        cmp_ok($hwm, '<', 16 * 1024, "worker peak RSS ${hwm} kB under 16 MiB");
    }
}
is(-s store_path("half-g.bin"), 536870912, "size");
