# Cross-node races on one path: two plain uploads of different files to the
# same path at the same moment, one through each node (overwrite off).
# Exactly one gets 201 and the other 409 "exists", and the stored file is
# whole: byte for byte the winner's, never a mix, never the loser's.  Three
# rounds, each with its own path.
use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Test::BigUpload;
use Test::BigUpload::Cluster;
use JSON::PP;

my $c = Test::BigUpload::Cluster->new;
my ($A, $B) = $c->nodes;
my $size = 16 * 1048576;
my %src = map { $_ => tmp_dir() . "/src-$_.bin" } qw(a b);
my %sha = map { $_ => gen_file($src{$_}, $size, "1030$_") } qw(a b);

for my $round (1 .. 3) {
    my $path = "race/r$round.bin";
    # at 8 MiB/s each body takes two seconds: both are in flight together,
    # both pass the check for an existing target, both end with a rename
    my %h = map {
        my $n = $_ eq 'a' ? $A : $B;
        $_ => spawn('curl', '-sS', '--limit-rate', '8M', '-T', $src{$_}, '-o', '-',
                    '-w', '\n%{http_code}', "http://127.0.0.1:" . $n->port . "/upload/$path")
    } qw(a b);
    my %r;
    for (qw(a b)) {
        my ($out, $err, $rc) = reap($h{$_});
        my ($body, $code) = $out =~ /\A(.*)\n(\d{3})\z/s;
        $r{$_} = { code => $code // 'none', body => $body // $out, rc => $rc, err => $err };
    }
    my $codes = join ' ', sort map { $r{$_}{code} } qw(a b);
    is($codes, '201 409', "round $round: one 201, one 409 (A $r{a}{code}, B $r{b}{code})")
        or diag(explain \%r);
    my ($win) = grep { $r{$_}{code} eq '201' } qw(a b);
    my ($lose) = grep { $r{$_}{code} eq '409' } qw(a b);
    SKIP: {
        skip "round $round: no single winner", 4 unless $win && $lose;
        my $wj = eval { decode_json($r{$win}{body}) } || {};
        is($wj->{sha256}, $sha{$win}, "round $round: the 201 reports the sha256 of the file it sent");
        my $lj = eval { decode_json($r{$lose}{body}) } || {};
        is($lj->{error}, 'exists', "round $round: the 409 says \"exists\"");
        is(sha256_file($c->store($_, $path)), $sha{$win}, "round $round: stored file (mount $_) is the winner's, whole")
            for 0, 1;
    }
}

is(sha256_file($_), sha256_file($c->store(0, 'race/r1.bin')), "replica $_ of round 1") for $c->brick_paths('race/r1.bin');
my @exists = map { $_->log_lines('error') } $A, $B;
is(scalar(grep { /bigupload: "[^"]*\/race\/r\d\.bin" appeared during the upload and bigupload_overwrite is off/ } @exists),
   3, 'each loser logged [error] "… appeared during the upload and bigupload_overwrite is off"')
    or diag(join "\n", @exists);
no_log_lines([qw(crit alert emerg)], $A, $B);
is(join(' ', $c->leftovers), '', 'no temp file left in the store');

$c->stop_all;
done_testing();
