# Partials are addressed by id in the store's partial directory, the target
# path an attribute in their state.  A partial written by the previous layout
# (state version 1, the id derived from the path) is resumed as it was.
use lib 't/lib';
use Test::BigUpload;
use Digest::SHA ();

# what the previous version left for "/old/f.bin" with key "oldkey": the
# first "have" bytes of "file", recorded in a version 1 state
sub write_v1_partial {
    my ($file, $have, $total) = @_;
    my $dir = store_path(".bigupload");
    mkdir $dir or die "mkdir $dir: $!";
    my $id = substr(Digest::SHA::sha256_hex("/old/f.bin"), 0, 40);
    my $line = qq({"version":1,"key":"oldkey","path":"/old/f.bin","length":$total,)
             . qq("received":"0-@{[$have - 1]}","created":1795840000,"updated":@{[time]}});
    open my $s, '>', "$dir/$id.state" or die; print $s $line, "\nsha256 ", Digest::SHA::sha256_hex($line), "\n"; close $s;
    my $head;
    open my $in, '<', $file or die; binmode $in; read($in, $head, $have); close $in;
    open my $d, '>', "$dir/$id.data" or die; binmode $d; print $d $head; close $d;
}

# The config of every block that has no --- config of its own.
default_sections(config => <<'_EOC_');
location /upload/ {
    bigupload;
    bigupload_store $TEST_NGINX_STORE;
}
_EOC_

run_tests();

__DATA__

=== TEST 1: a partial the previous layout left is reported and completed with its key
--- setup
gen_file("$TEST_NGINX_TMP/old.bin", 3 * 1048576, 7);
--- check
my $f = "$TEST_NGINX_TMP/old.bin";
my $m = 1048576;
main::write_v1_partial($f, $m, 3 * $m);
my ($st, $h) = http_request(method => 'HEAD', uri => '/upload/old/f.bin',
                            headers => { 'Upload-Key' => 'oldkey' });
is($st, 204, "the old partial is found");
is($h->{'upload-offset'}, $m, "with what it held");
is($h->{'upload-length'}, 3 * $m, "and its length");
my $out = `tail -c +@{[$m + 1]} '$f' | curl -sS -X PUT --data-binary \@- -H 'Upload-Key: oldkey' -H 'Content-Range: bytes $m-@{[3 * $m - 1]}/@{[3 * $m]}' http://127.0.0.1:$TEST_NGINX_PORT/upload/old/f.bin`;
like($out, qr/"sha256":"@{[ sha256_file($f) ]}"/, "completed with the whole file's sha256");
is(sha256_file(store_path("old/f.bin")), sha256_file($f), "stored byte for byte");
--- no_error_log
[error]
[crit]



=== TEST 2: the partial's id is not its path: another key is refused, and a keyless DELETE removes it
--- setup
gen_file("$TEST_NGINX_TMP/old2.bin", 1048576, 8);
--- check
main::write_v1_partial("$TEST_NGINX_TMP/old2.bin", 1000, 1048576);
my ($st, undef, $b) = http_request(method => 'PUT', uri => '/upload/old/f.bin', body => "x" x 10,
    headers => { 'Upload-Key' => 'newkey', 'Content-Range' => 'bytes 1000-1009/1048576' });
is($st, 409, "another key");
like($b, qr/upload_key_mismatch/, "says why");
($st) = http_request(method => 'DELETE', uri => '/upload/old/f.bin');
is($st, 204, "removed without a key");
($st) = http_request(method => 'HEAD', uri => '/upload/old/f.bin', headers => { 'Upload-Key' => 'oldkey' });
is($st, 404, "gone");
--- error_log
has another Upload-Key
