package Test::BigUpload::Cluster;

# Test::BigUpload::Cluster - several nginx with the module sharing one store
# on a distributed filesystem, for the scale-out tests in t/cluster/ (run by
# `make test-cluster`, i.e. t/cluster/run, which mounts one GlusterFS volume
# twice and says where in the BIGUPLOAD_CLUSTER_* variables).
#
#     use Test::BigUpload;
#     use Test::BigUpload::Cluster;
#     my $c = Test::BigUpload::Cluster->new;       # skip_all outside the cluster
#     my ($A, $B) = $c->nodes(expire => '24h');    # one per mount, started
#     my $L = $c->balancer($A, $B);                # round-robin in front of both
#     ... http_request(port => $A->port, ...), bgclient against $A->url ...
#     $c->stop_all;
#
# Every node is an nginx with its own prefix (<servroot>/node-<name>), port,
# error and access log; its store is the same directory of the volume, seen
# through its own mount.  The files' helpers (http_request, sha256_file, ...)
# come from Test::BigUpload, which this file uses but does not replace.

use strict;
use warnings;

use Exporter 'import';
use File::Find ();
use File::Path ();
use POSIX qw(WNOHANG);
use Test::More ();
use Time::HiRes qw(time sleep);

use Test::BigUpload ();

our @EXPORT = qw(bgclient spawn reap run_cmd settled_status no_log_lines file_sha256
                 stale_state_diag $STALE_TODO $LOST_TODO);

# The TODO reason of the assertions that the known cross-node defect makes
# fail (issue 15): a state file replaced by rename through one mount is
# stale through the other until the lookup caches expire; the module takes
# open's ESTALE for a failure ([crit], 500) and read's ENOENT (GlusterFS's
# open-behind opens lazily) for a missing directory ([error], 409 no_parent,
# which clients do not retry), instead of opening the file again by name.
our $STALE_TODO = 'issue 15: stale state file across nodes (ESTALE -> 500, ENOENT -> 409)';

# ... and when the stale state file reads without an error (GlusterFS's
# caches serve the version the other node replaced), the update built on it
# drops ranges the other node had acknowledged.
our $LOST_TODO = 'issue 15: a stale state file read without error loses acknowledged ranges';

my @NODES;    # every node started by this process, for END
my $MAIN_PID = $$;

END {
    local $?;
    $_->stop for $$ == $MAIN_PID ? @NODES : ();
}

# ---------------------------------------------------------------------------
# the cluster: two mounts of one volume, and its bricks
# ---------------------------------------------------------------------------

sub new {
    my ($class) = @_;
    my %e = map { $_ => $ENV{"BIGUPLOAD_CLUSTER_$_"} } qw(MNT_A MNT_B BRICKS LOGS VOLUME MOUNT_OPTS);
    unless ($e{MNT_A} && $e{MNT_B} && -d $e{MNT_A} && -d $e{MNT_B}) {
        Test::More::plan(skip_all => 'not in a cluster: run make test-cluster (t/cluster/run)');
    }
    my $name = $Test::BigUpload::TEST_NAME;
    my $self = bless {
        name    => $name,
        mounts  => [ $e{MNT_A}, $e{MNT_B} ],
        bricks  => [ split ' ', $e{BRICKS} // '' ],
        logs    => $e{LOGS},
        volume  => $e{VOLUME},                 # host:/name, for mount -t glusterfs
        mount_opts => $e{MOUNT_OPTS},
        rel     => "store-$name",    # the store: one directory of the volume
    }, $class;
    $self->wipe_store;
    return $self;
}

# The store as seen through mount $i (0 or 1); path $rel under it.
sub store {
    my ($self, $i, $rel) = @_;
    my $s = "$self->{mounts}[$i // 0]/$self->{rel}";
    return defined $rel ? "$s/" . ($rel =~ s{^/+}{}r) : $s;
}

# The same file in each brick (each holds a whole replica).
sub brick_paths {
    my ($self, $rel) = @_;
    return map { "$_/$self->{rel}/" . ($rel =~ s{^/+}{}r) } @{ $self->{bricks} };
}

sub wipe_store {
    my ($self) = @_;
    my $s = $self->store(0);
    File::Path::remove_tree($s) if -e $s;
    File::Path::make_path($s);
    die "store $s: not visible through the second mount\n"
        unless Test::BigUpload::wait_until(sub { -d $self->store(1) }, 5);
}

# Names left in the store's partial directory .bigupload/, other than the
# sweeper's lock (as the harness's temp-file check), and .bigupload-* temp
# files anywhere in the store.
sub leftovers {
    my ($self) = @_;
    my @left;
    my $root = $self->store(0);
    if (opendir my $dh, "$root/.bigupload") {
        push @left, map { ".bigupload/$_" } grep { !/^\.\.?\z/ && $_ ne 'sweep.lock' } readdir $dh;
    }
    File::Find::find({ no_chdir => 1, wanted => sub {
        return if $File::Find::name eq $root;
        my $n = substr($File::Find::name, length($root) + 1);
        if ($n eq '.bigupload') { $File::Find::prune = 1; return }
        push @left, $n if m{/\.bigupload[^/]*\z};
    } }, $root);
    return @left;
}

# The partial's files (.data, .state) in the store's .bigupload/.
sub partial_files {
    my ($self, $i) = @_;
    opendir my $dh, $self->store($i // 0) . '/.bigupload' or return ();
    my @f = sort grep { /\.(data|state)\z/ } readdir $dh;
    return @f;
}

# The pid of the GlusterFS FUSE client that serves mount $i.
sub fuse_client {
    my ($self, $i) = @_;
    my $m = $self->{mounts}[$i];
    for my $cmd (glob '/proc/[0-9]*/cmdline') {
        my @argv = split /\0/, Test::BigUpload::_read_file($cmd);
        next unless @argv && $argv[0] =~ m{(?:^|/)glusterfs\z} && $argv[-1] eq $m;
        return $cmd =~ m{/proc/(\d+)/} ? $1 : ();
    }
    return;
}

# Mount $i again, after its client died (a node's crash): the dead mount is
# detached, a new client mounts the volume at the same place.
sub remount {
    my ($self, $i) = @_;
    my $m = $self->{mounts}[$i];
    system('umount', '-l', $m) == 0 or return 0;
    my @o = $self->{mount_opts} ? ('-o', $self->{mount_opts}) : ();
    system('mount', '-t', 'glusterfs', @o, $self->{volume}, $m) == 0 or return 0;
    return Test::BigUpload::wait_until(sub { -d $self->store($i) }, 10);
}

# Two nodes, one per mount, started with the same location settings.
sub nodes {
    my ($self, %o) = @_;
    return map { $self->node($_, mount => $_ eq 'a' ? 0 : 1, %o) } qw(a b);
}

sub node {
    my ($self, $name, %o) = @_;
    my $n = Test::BigUpload::Cluster::Node->new($self, $name, %o);
    $n->start;
    return $n;
}

# A third nginx (without the module), round-robin over the nodes given.
sub balancer {
    my ($self, @nodes) = @_;
    return $self->node('lb', upstream => [ map { $_->port } @nodes ]);
}

sub stop_all { $_->stop for @NODES }

# ---------------------------------------------------------------------------
# clients
# ---------------------------------------------------------------------------

sub bgclient { "$Test::BigUpload::BUILD/bgclient" }

# spawn(@argv): runs a command in the background, its stdout and stderr to
# files; reap($h) waits for it and returns (stdout, stderr, exit status as
# the shell tells it: 128+N when killed by signal N).
sub spawn {
    my @argv = @_;
    my $base = Test::BigUpload::tmp_dir() . "/cmd-$$-" . int(rand(1e9));
    my $pid = fork // die "fork: $!\n";
    if ($pid == 0) {
        $SIG{$_} = 'DEFAULT' for qw(INT TERM HUP PIPE);
        open STDIN, '<', '/dev/null';
        open STDOUT, '>', "$base.out";
        open STDERR, '>', "$base.err";
        { no warnings 'exec'; exec { $argv[0] } @argv; }
        POSIX::_exit(127);
    }
    return { pid => $pid, base => $base, argv => \@argv };
}

sub reap {
    my ($h, $timeout) = @_;
    my $done = Test::BigUpload::wait_until(sub { waitpid($h->{pid}, WNOHANG) == $h->{pid} },
                                           $timeout // 120, 0.02);
    my $st = $?;
    unless ($done) {
        kill 'KILL', $h->{pid};
        waitpid $h->{pid}, 0;
        $st = -1;
    }
    my @r = map { Test::BigUpload::_read_file("$h->{base}.$_") } qw(out err);
    unlink "$h->{base}.out", "$h->{base}.err";
    my $code = $st == -1 ? -1 : ($st & 127) ? 128 + ($st & 127) : $st >> 8;
    return (@r, $code);
}

sub run_cmd { reap(spawn(@_), 180) }

# What `bgclient --status` says once the server recorded what a killed
# client's broken-off request wrote (it does when it notices the closed
# connection): polled until it holds something and is stable.
sub settled_status {
    my ($url, $path) = @_;
    my ($prev, $s) = ('', '');
    for (1 .. 100) {
        ($s) = run_cmd(bgclient(), '--status', $url, $path);
        chomp $s;
        last if $s =~ /^partial: [1-9]/ && $s eq $prev;
        $prev = $s;
        sleep 0.15;
    }
    return $s;
}

# sha256 of a file, or "absent" (a test then fails instead of dying).
sub file_sha256 {
    my ($path) = @_;
    return -f $path ? Test::BigUpload::sha256_file($path) : 'absent';
}

# diag: the nodes' log lines of failed state-file reads (the known defect).
sub stale_state_diag {
    my @nodes = @_;
    my %n;
    for my $node (@nodes) {
        for ($node->log_lines(qw(crit error))) {
            $n{ $node->name . " [$1] $2" }++
                if /\[(crit|error)\] .*bigupload: read "[^"]*\.state" failed \((\d+: [^)]*)\)/;
        }
    }
    Test::More::diag('failed state-file reads (issue 15): '
                     . join(', ', map { "node $_ x$n{$_}" } sort keys %n)) if %n;
}

# One test: no line at these levels in any of the nodes' error logs.
sub no_log_lines {
    my ($levels, @nodes) = @_;
    my @bad = map { my $n = $_; map { "node " . $n->name . ': ' . (s/^\S+ \S+ //r =~ s/, client: .*//r) }
                    $n->log_lines(@$levels) } @nodes;
    my $n = @bad;
    splice @bad, 3, $n - 3, '... (' . ($n - 3) . ' more)' if $n > 4;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    return Test::More::is(join("\n", @bad), '', 'no [' . join('], [', @$levels) . '] in the logs of '
                          . join(' and ', map { 'node ' . $_->name } @nodes));
}

# ---------------------------------------------------------------------------
# one nginx
# ---------------------------------------------------------------------------
package Test::BigUpload::Cluster::Node;

use POSIX qw(WNOHANG);

sub new {
    my ($class, $cluster, $name, %o) = @_;
    my $prefix = Test::BigUpload::servroot() . "/node-$name";
    File::Path::remove_tree($prefix) if -e $prefix;
    File::Path::make_path(map { "$prefix/$_" } qw(conf logs));
    my ($port) = Test::BigUpload::_free_ports(1);
    my $self = bless { cluster => $cluster, name => $name, prefix => $prefix, port => $port,
                       %o }, $class;
    $self->write_conf;
    return $self;
}

sub name   { $_[0]{name} }
sub port   { $_[0]{port} }
sub prefix { $_[0]{prefix} }
sub url    { "http://127.0.0.1:$_[0]{port}/upload" }
sub store  { $_[0]{cluster}->store($_[0]{mount}, $_[1]) }
sub pid    { $_[0]{pid} }

sub write_conf {
    my ($self) = @_;
    my $p = $self->{prefix};
    my $c = '';
    $c .= "load_module $Test::BigUpload::MODULE_SO;\n" unless $self->{upstream};
    $c .= "worker_processes " . ($self->{upstream} ? 1 : ($self->{workers} // 2)) . ";\n"
        . "daemon off;\nmaster_process on;\nuser root;\n"
        . "error_log logs/error.log " . ($self->{log_level} // 'info') . ";\n"
        . "pid logs/nginx.pid;\n"
        . "events {\n    worker_connections 1024;\n}\n"
        . "http {\n"
        . "    log_format bytes '\$request_method \$uri \$status \$request_length"
        . " \$http_upload_key \$upstream_addr';\n"
        . "    access_log logs/access.log bytes;\n";
    $c .= "    ${_}_temp_path $p/${_}_temp;\n" for qw(client_body proxy fastcgi uwsgi scgi);
    if (my $up = $self->{upstream}) {
        # round-robin, one request at a time, streamed both ways
        $c .= "    upstream nodes {\n" . join('', map { "        server 127.0.0.1:$_;\n" } @$up)
            . "    }\n"
            . "    server {\n        listen 127.0.0.1:$self->{port};\n"
            . "        location / {\n"
            . "            proxy_pass http://nodes;\n"
            . "            proxy_http_version 1.1;\n"
            . "            proxy_set_header Connection \"\";\n"
            . "            proxy_request_buffering off;\n"
            . "            proxy_buffering off;\n"
            . "            proxy_next_upstream off;\n"
            . "            client_max_body_size 0;\n"
            . "        }\n    }\n}\n";
    }
    else {
        my $store = $self->store;
        $c .= "    server {\n        listen 127.0.0.1:$self->{port};\n"
            . "        location /upload/ {\n            bigupload;\n"
            . "            bigupload_store $store;\n"
            . ($self->{expire} ? "            bigupload_expire $self->{expire};\n" : '')
            . ($self->{location} // '')
            . "        }\n"
            . "        location = /bigupload-status {\n            bigupload_status;\n        }\n"
            . "    }\n}\n";
    }
    open my $fh, '>', "$p/conf/nginx.conf" or die "$p/conf/nginx.conf: $!\n";
    print $fh $c;
    close $fh;
}

sub start {
    my ($self) = @_;
    my $p = $self->{prefix};
    unlink "$p/logs/nginx.pid";
    my $parent = $$;
    my $pid = fork // die "fork: $!\n";
    if ($pid == 0) {
        Test::BigUpload::_set_pdeathsig();
        POSIX::_exit(1) if getppid() != $parent;
        $SIG{$_} = 'DEFAULT' for qw(INT TERM HUP QUIT PIPE);
        open STDIN, '<', '/dev/null';
        open STDOUT, '>>', "$p/logs/stderr.log";
        open STDERR, '>>', "$p/logs/stderr.log";
        no warnings 'exec';
        delete $ENV{NGINX};    # nginx takes it for the sockets of a binary upgrade
        exec { $Test::BigUpload::NGINX } 'nginx', '-p', "$p/", '-c', 'conf/nginx.conf';
        POSIX::_exit(127);
    }
    $self->{pid} = $pid;
    push @NODES, $self;
    local $_;    # (the harness's helpers below read lines into $_)
    my $ok = Test::BigUpload::wait_until(sub {
        return -1 if waitpid($pid, WNOHANG) == $pid;
        return Test::BigUpload::_read_file("$p/logs/nginx.pid") =~ /^\s*$pid\s*$/
            && Test::BigUpload::_port_listening($self->{port});
    }, 15);
    if (!$ok || $ok == -1) {
        delete $self->{pid};
        die "node $self->{name} did not start: "
            . Test::BigUpload::_read_file("$p/logs/stderr.log")
            . Test::BigUpload::_read_file("$p/logs/error.log");
    }
    return $self;
}

# The worker processes of this node's master.
sub workers {
    my ($self) = @_;
    my $m = $self->{pid} or return ();
    my @w;
    for my $stat (glob '/proc/[0-9]*/stat') {
        my $s = Test::BigUpload::_read_file($stat);
        my (undef, $ppid) = split ' ', substr($s, rindex($s, ')') + 2);
        push @w, $stat =~ m{/proc/(\d+)/} if defined $ppid && $ppid == $m;
    }
    return @w;
}

# Graceful stop (QUIT), then TERM, then KILL.
sub stop {
    my ($self) = @_;
    my $m = $self->{pid} or return;
    my @w = $self->workers;
    for my $step (['QUIT', 5], ['TERM', 3], ['KILL', 3]) {
        kill $step->[0], $m;
        last if Test::BigUpload::wait_until(sub { waitpid($m, WNOHANG) != 0 }, $step->[1]);
    }
    kill 'KILL', grep { kill 0, $_ } @w;
    delete $self->{pid};
}

# The node dies at once: SIGKILL to the master and every worker together,
# as a crash or an OOM kill of the whole server would.  Returns the pids.
sub kill9 {
    my ($self) = @_;
    my $m = $self->{pid} or die "node $self->{name} is not running\n";
    my @all = ($m, $self->workers);
    kill 'KILL', @all;
    waitpid $m, 0;
    Test::BigUpload::wait_until(sub { !grep { kill 0, $_ } @all }, 5);
    delete $self->{pid};
    return @all;
}

sub error_log { Test::BigUpload::_read_file("$_[0]{prefix}/logs/error.log") }

# Lines of the error log at these levels, e.g. ('crit', 'alert', 'emerg').
sub log_lines {
    my ($self, @levels) = @_;
    my $re = join '|', map { quotemeta } @levels;
    return grep { /\[(?:$re)\]/ } split /\n/, $self->error_log;
}

# The access log's lines: [method, uri, status, length, upload_key, upstream].
sub access {
    my ($self, $uri) = @_;
    my @l = map { [ split ' ' ] } split /\n/, Test::BigUpload::_read_file("$self->{prefix}/logs/access.log");
    return defined $uri ? grep { $_->[1] eq $uri } @l : @l;
}

# "HEAD 404 PUT 201 ..." for one uri, in the order served; with "keyed",
# only the requests that carried an Upload-Key (not `bgclient --status`).
sub statuses {
    my ($self, $uri, $keyed) = @_;
    return join ' ', map { "$_->[0] $_->[2]" } grep { !$keyed || $_->[4] ne '-' } $self->access($uri);
}

# The status endpoint's JSON, decoded.
sub status_json {
    my ($self) = @_;
    require JSON::PP;
    my ($st, undef, $body) = Test::BigUpload::http_request(port => $self->{port},
                                                            uri => '/bigupload-status');
    die "status of node $self->{name}: HTTP " . ($st // 'none') . "\n" unless ($st // 0) == 200;
    return JSON::PP->new->decode($body);
}

1;
