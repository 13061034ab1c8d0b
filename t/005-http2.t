# HTTP/2: prior knowledge (h2c) and TLS, with and without Content-Length.
use lib 't/lib';
use Test::BigUpload;
use IO::Socket::INET;

# a third port, for the TLS server
BEGIN {
    my $s = IO::Socket::INET->new(Listen => 1, LocalAddr => '127.0.0.1',
                                  LocalPort => 0) or die "no free port: $!";
    $ENV{TEST_NGINX_TLS_PORT} = $s->sockport;
    close $s;
}

# The config of every block that has no --- config of its own.
# (TEST 4 has an empty one: its TLS server is in --- http_config.)
default_sections(config => <<'_EOC_');
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
}
_EOC_

run_tests();

__DATA__

=== TEST 1: HTTP/2 prior knowledge upload is stored byte for byte
--- request_body_gen: 64m 1
--- exec
curl -sS --http2-prior-knowledge -w '\n%{http_version} %{http_code}' -T $TEST_NGINX_BODY_FILE http://127.0.0.1:$TEST_NGINX_H2_PORT/upload/h2/file.bin
--- timeout: 120
--- exit_code: 0
--- stdout_like: "size":67108864,"sha256":"$TEST_NGINX_BODY_SHA256"\}\n\n2 201$
--- stored_file: h2/file.bin
--- stored_sha256: BODY
--- no_error_log
[error]
[crit]
[alert]



=== TEST 2: HTTP/2 without Content-Length (stdin) is streamed and stored
--- request_body_gen: 16m 2
--- exec
curl -sS --http2-prior-knowledge -w '\n%{http_version} %{http_code}' -T - http://127.0.0.1:$TEST_NGINX_H2_PORT/upload/stdin.bin < $TEST_NGINX_BODY_FILE
--- exit_code: 0
--- stdout_like: \n2 201$
--- stored_file: stdin.bin
--- stored_sha256: BODY



=== TEST 3: HTTP/2 409 for an existing file, nothing changed
# A small body: the client has sent all of it when the 409 comes. (With a big
# one nginx ends the stream with RST_STREAM(NO_ERROR) after the answer, as
# for any early answer, and curl 7.88 then sometimes drops the answer.)
--- init
open my $fh, '>', store_path("x.bin") or die; print $fh "original"; close $fh;
--- exec
printf 'replacement' | curl -sS --http2-prior-knowledge -w '\n%{http_code}' --data-binary @- -X PUT http://127.0.0.1:$TEST_NGINX_H2_PORT/upload/x.bin
--- stdout_like: "error":"exists".*\n409$
--- stored_file: x.bin
--- stored_body: original



=== TEST 4: HTTP/2 over TLS
--- config
--- http_config
server {
    listen 127.0.0.1:$TEST_NGINX_TLS_PORT ssl http2;
    ssl_certificate $TEST_NGINX_SERVROOT/conf/cert.pem;
    ssl_certificate_key $TEST_NGINX_SERVROOT/conf/key.pem;
    location /upload/ {
        bigupload;
        bigupload_store $TEST_NGINX_STORE;
    }
}
--- setup
system("openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost "
     . "-keyout $TEST_NGINX_SERVROOT/conf/key.pem -out $TEST_NGINX_SERVROOT/conf/cert.pem "
     . ">/dev/null 2>&1") == 0 or die "openssl failed";
--- request_body_gen: 32m 4
--- exec
curl -sS -k --http2 -w '\n%{http_version} %{http_code}' -T $TEST_NGINX_BODY_FILE https://127.0.0.1:$TEST_NGINX_TLS_PORT/upload/tls.bin
--- exit_code: 0
--- stdout_like: \n2 201$
--- stored_file: tls.bin
--- stored_sha256: BODY



=== TEST 5: an HTTP/2 client that goes away mid-body leaves nothing behind
--- request_body_gen: 64m 5
--- exec
curl -sS --http2-prior-knowledge --limit-rate 4M -T $TEST_NGINX_BODY_FILE http://127.0.0.1:$TEST_NGINX_H2_PORT/upload/gone.bin & pid=$!
sleep 1; kill $pid; wait $pid; sleep 0.5; exit 0
--- exit_code: 0
--- not_stored
gone.bin
--- no_error_log
[alert]
[crit]
