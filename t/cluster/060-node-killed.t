# A node killed mid-upload: bgclient uploads through node A, and node A dies
# (SIGKILL to its master and workers at once, as a crash would) while the
# body streams.  bgclient fails (no retries here: node A stays dead); its
# rerun against node B resumes from what node A recorded in the shared
# store and completes with the source's sha256.  Node A's lock on the
# partial died with it: node B does not wait for it.
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
my $sha = gen_file($src, $size, 1060);
my $uri = '/upload/k/48m.bin';

my $h = spawn(bgclient(), '--limit-rate', '8M', '--retries', '0', $A->url, $src, '/k/48m.bin');
ok(wait_until(sub { $c->partial_files(0) }, 10), 'the upload through node A is under way');
sleep 2;    # some 16 MiB in
my @killed = $A->kill9;
ok(scalar(@killed) >= 3, 'node A killed: master and workers (' . join(' ', @killed) . ')');
my ($out, $err, $rc) = reap($h);
is($rc, 4, 'bgclient fails with a transport error (exit 4)') or diag($err);
like($err, qr{^bgclient: upload to http://127\.0\.0\.1:\d+/upload/k/48m\.bin failed: }m, '... and says so');

my $st = settled_status($B->url, '/k/48m.bin');
my ($held, $last) = $st =~ /^partial: (\d+) of $size \(0-(\d+)\)\z/;
ok(defined $held && $last == $held - 1 && $held < $size, "node B holds what node A recorded: $st");

($out, $err, $rc) = run_cmd(bgclient(), $B->url, $src, '/k/48m.bin');
is($rc, 0, 'the rerun through node B exits 0') or diag($err);
like($err, qr/\Abgclient: resuming at [0-9.]+ MiB of 48\.0 MiB\n\z/, 'it resumes');
like($out, qr{^uploaded \S+ -> \S+/k/48m\.bin \(48\.0 MiB, .*sha256 $sha\)$}m, 'sha256 verified');
is(file_sha256($c->store($_, 'k/48m.bin')), $sha, "stored file (mount $_): the source's sha256") for 0, 1;
is(file_sha256($_), $sha, "replica $_") for $c->brick_paths('k/48m.bin');
is($B->statuses($uri, 'keyed'), 'HEAD 204 PUT 201', 'node B: HEAD 204, PUT 201');
no_log_lines([qw(error crit alert emerg)], $B);
is(join(' ', $c->leftovers), '', 'no partial or temp file left in the store');

$c->stop_all;
done_testing();
