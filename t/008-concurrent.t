# Concurrency: racing uploads to one path, many uploads at once, more workers.
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

=== TEST 1: two concurrent PUTs to one path: one 201, one 409, one whole file
--- setup
gen_file("$TEST_NGINX_TMP/race-a", 8 * 1048576, 101);
gen_file("$TEST_NGINX_TMP/race-b", 8 * 1048576, 102);
--- exec
url=http://127.0.0.1:$TEST_NGINX_PORT/upload/race.bin
curl -sS -o /dev/null -w '%{http_code}\n' --limit-rate 8M -T $TEST_NGINX_TMP/race-a $url > $TEST_NGINX_TMP/code-a &
curl -sS -o /dev/null -w '%{http_code}\n' --limit-rate 8M -T $TEST_NGINX_TMP/race-b $url > $TEST_NGINX_TMP/code-b &
wait
cat $TEST_NGINX_TMP/code-a $TEST_NGINX_TMP/code-b | sort | tr '\n' ' '
--- stdout_like: \A201 409 \z
--- check
my $stored = sha256_file(store_path("race.bin"));
my ($code_a) = do { open my $f, '<', "$TEST_NGINX_TMP/code-a" or die; <$f> };
my $winner = $code_a =~ /201/ ? "race-a" : "race-b";
is($stored, sha256_file("$TEST_NGINX_TMP/$winner"), "the stored file is the winner's, whole");
--- error_log
appeared during the upload and bigupload_overwrite is off
--- no_error_log
[crit]
[alert]



=== TEST 2: sixteen uploads at once are all stored intact
--- setup
gen_file("$TEST_NGINX_TMP/many-$_", 4 * 1048576, 200 + $_) for 1 .. 16;
--- exec
for i in $(seq 1 16); do
    curl -sS -o /dev/null -w '%{http_code}\n' -T $TEST_NGINX_TMP/many-$i http://127.0.0.1:$TEST_NGINX_PORT/upload/many/$i.bin &
done
wait
--- stdout eval
"201\n" x 16
--- timeout: 120
--- check
for my $i (1 .. 16) {
    is(sha256_file(store_path("many/$i.bin")), sha256_file("$TEST_NGINX_TMP/many-$i"),
       "many/$i.bin intact");
}
--- no_error_log
[crit]
[alert]



=== TEST 3: with two worker processes, uploads handled by either are stored
--- main_config
worker_processes 2;
--- setup
gen_file("$TEST_NGINX_TMP/w-$_", 2 * 1048576, 300 + $_) for 1 .. 8;
--- exec
for i in $(seq 1 8); do
    curl -sS -o /dev/null -w '%{http_code}\n' -T $TEST_NGINX_TMP/w-$i http://127.0.0.1:$TEST_NGINX_PORT/upload/w/$i.bin &
done
wait
--- stdout eval
"201\n" x 8
--- check
is(sha256_file(store_path("w/$_.bin")), sha256_file("$TEST_NGINX_TMP/w-$_"), "w/$_.bin") for 1 .. 8;



=== TEST 4: an overwrite race with bigupload_overwrite on leaves one whole file
--- config
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
    bigupload_overwrite on;
}
--- setup
gen_file("$TEST_NGINX_TMP/ow-a", 8 * 1048576, 401);
gen_file("$TEST_NGINX_TMP/ow-b", 8 * 1048576, 402);
--- exec
url=http://127.0.0.1:$TEST_NGINX_PORT/upload/ow.bin
curl -sS -o /dev/null -w '%{http_code}\n' --limit-rate 8M -T $TEST_NGINX_TMP/ow-a $url &
curl -sS -o /dev/null -w '%{http_code}\n' --limit-rate 8M -T $TEST_NGINX_TMP/ow-b $url &
wait
--- stdout_like: \A(200\n201\n|201\n200\n)\z
--- check
my $s = sha256_file(store_path("ow.bin"));
ok($s eq sha256_file("$TEST_NGINX_TMP/ow-a") || $s eq sha256_file("$TEST_NGINX_TMP/ow-b"),
   "one of the two, whole");
