# Resume on the other node: bgclient uploads part of a file through node A
# and is killed (SIGKILL); node B, which shares the store through its own
# mount of the volume, tells what A received, and the rerun through B
# completes the upload with the source's sha256.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Test::BigUpload;
use Test::BigUpload::Cluster;
use MIME::Base64 ();

my $c = Test::BigUpload::Cluster->new;
my ($A, $B) = $c->nodes;
my $size = 40 * 1048576;
my $src = tmp_dir() . '/src.bin';
my $sha = gen_file($src, $size, 1010);
my $uri = '/upload/r/40m.bin';

# through A, slowly, killed after about a quarter
my $h = spawn(bgclient(), '--limit-rate', '8M', $A->url, $src, '/r/40m.bin');
sleep 1.5;
kill 'KILL', $h->{pid};
my (undef, undef, $killed) = reap($h);
is($killed, 137, 'the client through node A was killed by SIGKILL');

# node B sees what node A received
my $st = settled_status($B->url, '/r/40m.bin');
my ($held, $last) = $st =~ /^partial: (\d+) of $size \(0-(\d+)\)\z/;
ok(defined $held && $last == $held - 1, "node B holds a partial upload from 0: $st");
ok($held && $held < $size, 'part of the file, not all of it');

# the rerun through B continues it
my ($out, $err, $rc) = run_cmd(bgclient(), $B->url, $src, '/r/40m.bin');
is($rc, 0, 'the rerun through node B exits 0') or diag($err);
like($err, qr/\Abgclient: resuming at [0-9.]+ MiB of 40\.0 MiB\n\z/, 'it says where it resumes');
like($out, qr{^uploaded \S+ -> \S+/r/40m\.bin \(40\.0 MiB, .*sha256 $sha\)$}m, 'sha256 verified');

# the stored file, through both mounts and in both replicas
is(sha256_file($c->store(0, 'r/40m.bin')), $sha, 'stored file (mount A): the source\'s sha256');
is(sha256_file($c->store(1, 'r/40m.bin')), $sha, 'stored file (mount B): the source\'s sha256');
is(sha256_file($_), $sha, "replica $_") for $c->brick_paths('r/40m.bin');

# node A, which did not finish it, reports the finished file and its sha256
# (kept in the file's user.bigupload.sha256 attribute)
my $r = http_request(method => 'HEAD', port => $A->port, uri => $uri);
is($r->{status}, 200, 'HEAD through node A: 200, the file is there');
is($r->{headers}{'content-length'}, $size, '... with its size');
is($r->{headers}{'repr-digest'}, 'sha-256=:' . MIME::Base64::encode_base64(pack('H*', $sha), '') . ':',
   '... and the sha256 node B recorded (Repr-Digest)');

# who did what: A took the first part, B the rest and stored the file
is($A->statuses($uri), 'HEAD 404 PUT 499 HEAD 200', 'node A: HEAD 404, the PUT broken off (499), our HEAD');
like($B->statuses($uri), qr/\A(HEAD 204 )+PUT 201\z/, 'node B: --status (HEAD 204), and then PUT 201');
is($B->statuses($uri, 'keyed'), 'HEAD 204 PUT 201', 'node B: the rerun\'s HEAD 204 and PUT 201');
my $storeB = $B->store;
like($B->error_log, qr/\[info\] .*bigupload: stored "\Q$storeB\E\/r\/40m\.bin" \($size bytes, sha256 $sha\)/,
     'node B logs the stored file');
unlike($A->error_log, qr/bigupload: stored /, 'node A stored nothing');
no_log_lines([qw(crit alert emerg error)], $A, $B);
is(join(' ', $c->leftovers), '', 'no partial or temp file left in the store');

$c->stop_all;
done_testing();
