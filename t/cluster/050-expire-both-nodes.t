# The expiry sweep run by both nodes: with `bigupload_expire 2s` each node's
# workers sweep the shared store every second, one at a time (the lock file
# in the store's .bigupload/ is an fcntl lock, which GlusterFS holds across
# its clients).  Three stale partials, made through either node, are
# removed once each: the nodes' `expired` counters add up to three, the
# files are gone through both mounts and from both bricks, both nodes
# answer 404 for them, and nothing is logged as an error.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Test::BigUpload;
use Test::BigUpload::Cluster;
use Time::HiRes qw(sleep time);

my $c = Test::BigUpload::Cluster->new;
my ($A, $B) = $c->nodes(expire => '2s');
my $MiB = 1048576;
my $body = 'e' x $MiB;
my @paths = ('x/e1.bin', 'x/e2.bin', 'x/e3.bin');
my @via = ($A, $B, $A);

my $made;    # when the last one was asked for: it cannot expire within 2 s of that
for my $i (0 .. $#paths) {
    $made = time;
    my $r = http_request(method => 'PUT', port => $via[$i]->port, uri => "/upload/$paths[$i]",
                         headers => [ "Upload-Key: expire-$i", "Content-Range: bytes 0-" . ($MiB - 1) . '/' . 4 * $MiB ],
                         body => $body);
    is($r->{status}, 204, "partial $paths[$i] made through node " . $via[$i]->name . ': 204');
    is($r->{headers}{'upload-offset'}, $MiB, '... holding 1 MiB');
}
is(scalar(my @f = $c->partial_files(1)), 6, 'their data and state files, seen through mount B');

# both nodes sweep: within a few seconds the partials are gone
ok(wait_until(sub { !$c->partial_files(0) && !$c->partial_files(1) }, 20, 0.1),
   'the sweep removed them (mount A and mount B): ' . join(' ', $c->partial_files(0)));
my $gone = time - $made;
ok($gone > 2, sprintf 'not before the last was 2 s old (gone after %.1f s)', $gone);
is(join(' ', map { glob("$_/*.{data,state}") } $c->brick_paths('.bigupload')), '', 'gone from both bricks');

# let each node sweep again at least twice: nothing more to remove
sleep 2.5;
my %exp = map { $_->name => $_->status_json->{counters}{expired} } $A, $B;
is($exp{a} + $exp{b}, 3, "removed once each: expired counters A $exp{a} + B $exp{b} = 3");
is(scalar(@{ $_->status_json->{partials} }), 0, 'node ' . $_->name . ' lists no partial') for $A, $B;
for my $n ($A, $B) {
    for my $i (0 .. $#paths) {
        my ($st) = http_request(method => 'HEAD', port => $n->port, uri => "/upload/$paths[$i]",
                                headers => [ "Upload-Key: expire-$i" ]);
        is($st, 404, "node " . $n->name . ": HEAD $paths[$i] 404");
    }
}
no_log_lines([qw(error crit alert emerg)], $A, $B);
is(join(' ', $c->leftovers), '', 'nothing left in the store but the sweeper\'s lock');

$c->stop_all;
done_testing();
