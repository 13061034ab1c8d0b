# Configuration: refused configs, defaults, inheritance.
use lib 't/lib';
use Test::BigUpload;

run_tests();

__DATA__

=== TEST 1: an undeclared thread pool is refused at startup
--- config
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
    bigupload_thread_pool nosuchpool;
}
--- must_die
--- error_log
unknown thread pool "nosuchpool"



=== TEST 2: alias in a regex location without bigupload_store is refused
--- config
location ~ ^/up/(.*)$ {
    bigupload;
    alias $TEST_NGINX_STORE/$1;
}
--- must_die
--- error_log
bigupload: "alias" in a regex location is not supported, use "bigupload_store"



=== TEST 3: bigupload twice in one location is refused
--- config
location /upload/ {
    bigupload;
    bigupload;
}
--- must_die
--- error_log
"bigupload" directive is duplicate



=== TEST 4: bigupload takes no arguments
--- config
location /upload/ {
    bigupload on;
}
--- must_die
--- error_log
invalid number of arguments in "bigupload" directive



=== TEST 5: a bad size is refused
--- config
location /upload/ {
    bigupload;
    bigupload_max_size lots;
}
--- must_die
--- error_log
"bigupload_max_size" directive invalid value



=== TEST 6: bigupload is not allowed at server level
--- config
bigupload;
--- must_die
--- error_log
"bigupload" directive is not allowed here



=== TEST 7: bigupload is not inherited by a nested location
--- config
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
    location /upload/static/ {
        root $TEST_NGINX_STORE;
    }
}
--- request eval
"PUT /upload/static/x.bin\ndata"
--- error_code: 405
--- not_stored
static/x.bin
upload/static/x.bin
--- check
unlike($body, qr/method_not_allowed/, "the static module's 405, not bigupload's");



=== TEST 8: settings are inherited from http and server level
--- http_config
bigupload_store $TEST_NGINX_STORE/inherited;
bigupload_overwrite on;
--- config
location /upload/ {
    bigupload;
}
--- init
mkdir store_path("inherited");
open my $fh, '>', store_path("inherited/x.bin") or die; print $fh "old"; close $fh;
--- request eval
"PUT /upload/x.bin\nnew"
--- error_code: 200
--- stored_file: inherited/x.bin
--- stored_body: new



=== TEST 9: a store with variables that evaluates empty is a 500 with a log line
--- config
location /upload/ {
    bigupload;
    bigupload_store $http_x_store;
}
--- request eval
"PUT /upload/x.bin\ndata"
--- error_code: 500
--- response_body
{"error":"internal","message":"internal server error"}
--- error_log
bigupload: bigupload_store is empty



=== TEST 10: a relative bigupload_store is relative to nginx's prefix
--- config
location /upload/ {
    bigupload;
    bigupload_store store/relative;
}
--- request eval
"PUT /upload/x.bin\nrel"
--- error_code: 201
--- stored_file: relative/x.bin
--- stored_body: rel
