# A whole node crashes mid-upload: nginx on node A and node A's GlusterFS
# client (the FUSE process behind its mount) are killed together (SIGKILL),
# as when the machine dies.  What node A's client had not yet sent to the
# bricks is lost, and the bricks drop its locks when its connection goes.
# bgclient's rerun through node B resumes from what the store holds and must
# complete with the source's sha256: the partial's state may claim only
# bytes that reached the bricks.  Mount A is mounted again at the end.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Test::BigUpload;
use Test::BigUpload::Cluster;

my $c = Test::BigUpload::Cluster->new;
my ($A, $B) = $c->nodes;
my $size = 48 * 1048576;
my $src = tmp_dir() . '/src.bin';
my $sha = gen_file($src, $size, 1070);
my $uri = '/upload/c/48m.bin';

my $fuse = $c->fuse_client(0);
ok($fuse, "node A's FUSE client: pid " . ($fuse // 'not found'));
my $h = spawn(bgclient(), '--limit-rate', '8M', '--retries', '0', $A->url, $src, '/c/48m.bin');
ok(wait_until(sub { $c->partial_files(0) }, 10), 'the upload through node A is under way');
sleep 2.2;    # some 17 MiB in: the state recorded at 16 MiB, more data on its way
my @nginx = ($A->pid, $A->workers);
kill 'KILL', $fuse, @nginx;
$A->kill9;
ok(wait_until(sub { !kill 0, $fuse }, 5), 'node A crashed: nginx and its FUSE client are gone');
my (undef, $err, $rc) = reap($h);
is($rc, 4, 'bgclient fails with a transport error (exit 4)') or diag($err);

my $st = settled_status($B->url, '/c/48m.bin');
my ($held, $last) = $st =~ /^partial: (\d+) of $size \(0-(\d+)\)\z/;
ok(defined $held && $last == $held - 1 && $held < $size, "node B holds what node A recorded: $st");

my ($out);
($out, $err, $rc) = run_cmd(bgclient(), $B->url, $src, '/c/48m.bin');
is($rc, 0, 'the rerun through node B exits 0') or diag($err);
like($err, qr/\Abgclient: resuming at [0-9.]+ MiB of 48\.0 MiB\n\z/, 'it resumes');
like($out, qr{^uploaded \S+ -> \S+/c/48m\.bin \(48\.0 MiB, .*sha256 $sha\)$}m, 'sha256 verified');
is(file_sha256($c->store(1, 'c/48m.bin')), $sha, "stored file (mount B): the source's sha256");
is(file_sha256($_), $sha, "replica $_") for $c->brick_paths('c/48m.bin');
no_log_lines([qw(error crit alert emerg)], $B);

ok($c->remount(0), 'mount A mounted again');
is(file_sha256($c->store(0, 'c/48m.bin')), $sha, "stored file (mount A, new client): the source's sha256");
is(join(' ', $c->leftovers), '', 'no partial or temp file left in the store');

$c->stop_all;
done_testing();
