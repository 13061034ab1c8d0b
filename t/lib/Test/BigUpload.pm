package Test::BigUpload;

# Test::BigUpload - a Test::Nginx-style, data-driven test harness for the
# bigupload nginx module, built directly on Test::Base.
#
# A test file looks like
#
#     use lib 't/lib';
#     use Test::BigUpload;
#     run_tests();              # no plan needed: done_testing() is called
#     __DATA__
#
#     === TEST 1: small upload is stored
#     --- config
#     location /upload/ { bigupload; bigupload_store $TEST_NGINX_STORE; }
#     --- request eval
#     "PUT /upload/a.txt\n" . ("x" x 1000)
#     --- error_code: 201
#     --- stored_file: a.txt
#     --- stored_sha256 eval: sha256_hex("x" x 1000)
#
# Every block gets its own freshly started nginx (started before the block,
# stopped after it) and a freshly wiped store directory.  See t/README.md
# for the complete list of sections, variables and helper functions.

use Test::Base -base;    # makes us the Test::Base "default class"
use strict;
use warnings;

use Config ();
use Cwd ();
use Digest::SHA ();
use Errno qw(EAGAIN EWOULDBLOCK EINTR);
use File::Basename ();
use File::Find ();
use File::Path ();
use IO::Select ();
use IO::Socket::INET ();
use POSIX qw(WNOHANG);
use Storable ();
use Time::HiRes qw(time sleep);

our @EXPORT = qw(
    run_tests repeat_each add_block_preprocessor default_sections
    sha256_hex sha256_file gen_file parse_size
    http_request start_bg_request wait_bg
    chunked_body store_path servroot tmp_dir error_log_text
    nginx_pid worker_pids wait_until log_lines unescape_log
);

use constant MiB => 1024 * 1024;

# ---------------------------------------------------------------------------
# Per-test-file environment (decided when the module is loaded, so that the
# values are already known when Test::Base runs the section filters, e.g.
# "--- request eval" code that interpolates "$TEST_NGINX_PORT").
# ---------------------------------------------------------------------------

our $REPO = Cwd::abs_path(File::Basename::dirname(__FILE__) . '/../../..');
our $BUILD = Cwd::abs_path($ENV{BIGUPLOAD_BUILD} || "$REPO/build") // ($ENV{BIGUPLOAD_BUILD} || "$REPO/build");
our $NGINX = $ENV{TEST_NGINX_BINARY} || '/usr/sbin/nginx';
our $MODULE_SO = "$BUILD/ngx_http_bigupload_module.so";
# A directory where sanitizers write their reports (ASAN_OPTIONS log_path,
# make test-asan): a report that appears during a block fails it.
our $SANITIZER_LOGS = $ENV{TEST_NGINX_SANITIZER_LOGS};
our %SANITIZER_SEEN;     # reports already charged to a block

our $TEST_NAME = do {
    my $n = File::Basename::basename($0);
    $n =~ s/\.t\z//;
    $n =~ s/[^\w.-]/_/g;
    length $n ? $n : 'unnamed';
};
our $SERVROOT = "$REPO/t/servroot/$TEST_NAME";
our $STORE    = "$SERVROOT/store";
our $TMP      = "$SERVROOT/tmp";
our $ERROR_LOG  = "$SERVROOT/logs/error.log";
our $STDERR_LOG = "$SERVROOT/logs/stderr.log";

our $MAIN_PID = $$;      # only this process ever stops nginx / runs END
our $NGINX_PID;          # pid of the running nginx master (our child)
our $REPEAT_EACH = 1;
our %BG;                 # pid => 1 for running start_bg_request children

my ($PORT, $H2_PORT, $PORT2) = _free_ports(3);

# Static variables, substituted into sections and exported in %ENV.
our %VARS = (
    TEST_NGINX_PORT     => $PORT,
    TEST_NGINX_H2_PORT  => $H2_PORT,
    TEST_NGINX_PORT2    => $PORT2,
    TEST_NGINX_STORE    => $STORE,
    TEST_NGINX_SERVROOT => $SERVROOT,
    TEST_NGINX_TMP      => $TMP,
    TEST_NGINX_BUILD    => $BUILD,
    TEST_NGINX_REPO     => $REPO,
    TEST_NGINX_BINARY   => $NGINX,
);
our %BLOCK_VARS;         # per block: TEST_NGINX_BODY_{FILE,SIZE,SHA256}

_export_vars();
_init_servroot();

# Publish the variables in %ENV (for --- exec, child processes and perl code)
# and as package variables of main (for "--- xxx eval" code, which runs in
# package main without "strict vars", so "$TEST_NGINX_PORT" interpolates).
sub _export_vars {
    no strict 'refs';
    no warnings 'once';
    for my $k (keys %VARS) {
        $ENV{$k} = $VARS{$k};
    }
    for my $k (grep { /^TEST_NGINX_[A-Z0-9_]+\z/ } keys %ENV) {
        ${"main::$k"} = $ENV{$k};
    }
}

sub _init_servroot {
    die "refusing to wipe odd servroot '$SERVROOT'\n"
        unless $SERVROOT =~ m{/t/servroot/[^/]+\z};
    File::Path::remove_tree($SERVROOT) if -e $SERVROOT;
    File::Path::make_path(map { "$SERVROOT/$_" } qw(conf logs html store tmp));
}

sub _free_ports {
    my ($n) = @_;
    # Keep all sockets open until every port is known, so they are distinct.
    my @socks = map {
        IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                              Proto => 'tcp', Listen => 1, ReuseAddr => 1)
            or die "cannot bind a free port on 127.0.0.1: $!\n";
    } 1 .. $n;
    my @ports = map { $_->sockport } @socks;
    close $_ for @socks;
    return @ports;
}

# ---------------------------------------------------------------------------
# Cleanup: no nginx (or helper child) may survive the test script.
# ---------------------------------------------------------------------------

END {
    local $?;    # waitpid() in here must not change the script's exit code
    _cleanup_all() if $$ == $MAIN_PID;
}

for my $sig (qw(INT TERM HUP)) {
    $SIG{$sig} = sub {
        _cleanup_all();
        # re-raise with the default action, so we die "by signal" as usual
        # (perl blocks the signal while its handler runs: unblock it first)
        $SIG{$sig} = 'DEFAULT';
        my $signo = POSIX->can("SIG$sig")->();
        POSIX::sigprocmask(POSIX::SIG_UNBLOCK(), POSIX::SigSet->new($signo));
        kill $sig, $$;
        POSIX::_exit(128 + $signo);
    };
}

sub _cleanup_all {
    return unless $$ == $MAIN_PID;
    _reap_bg();
    _stop_nginx();
}

# ---------------------------------------------------------------------------
# Test::Base integration
# ---------------------------------------------------------------------------

# Our own filter class: "eval" runs the code in package main (so functions
# exported to the test file, e.g. sha256_hex, and the $TEST_NGINX_* package
# variables are visible) and dies loudly on errors, instead of silently
# returning $@ as the section value like Test::Base::Filter::eval does.
{
    package Test::BigUpload::Filter;
    require Test::Base::Filter;
    our @ISA = ('Test::Base::Filter');

    sub eval {
        my ($self, $code) = @_;
        my $block = $self->current_block;
        my $name = $block ? $block->name : '?';
        my @ret = Test::BigUpload::_eval_in_main($code, "eval section of '$name'");
        die "eval filter failed in block '$name': $@" if $@;
        return @ret;
    }
}

sub _eval_in_main {
    my ($code, $where) = @_;
    $where =~ s/["\n]/'/g;
    ## no critic (BuiltinFunctions::ProhibitStringyEval)
    return eval "package main; no strict 'vars';\n#line 1 \"$where\"\n$code";
}

# add_block_preprocessor(sub { my $block = shift; ... }) (Test::Nginx API):
# the code sees every block once, before it runs (and before its skip
# conditions and test count are looked at), and may add or change sections
# with $block->set_value($section, $value).  The common use is a file's
# default --- config for the blocks that have none:
#     $block->set_value(config => $CONFIG) unless defined $block->config;
# As in Test::Nginx, the preprocessor added last runs first.
our @BLOCK_PREPROCESSORS;

sub add_block_preprocessor(&) {
    my ($code) = @_;
    die "add_block_preprocessor needs a code reference\n" unless ref $code eq 'CODE';
    unshift @BLOCK_PREPROCESSORS, $code;
    return;
}

# default_sections(config => "...", http_config => "..."): the common use of
# a preprocessor, once: a block without one of these sections gets the
# file's default (an empty section of its own counts as its own).
sub default_sections {
    my (%defaults) = @_;
    add_block_preprocessor(sub {
        my $block = shift;
        for my $name (sort keys %defaults) {
            $block->set_value($name => $defaults{$name}) unless defined $block->$name;
        }
    });
    return;
}

# Run the preprocessors on a block; returns the error if one died.
sub _preprocess_block {
    my ($block) = @_;
    for my $code (@BLOCK_PREPROCESSORS) {
        eval { $code->($block); 1 } or return $@ || 'died';
    }
    return;
}

# repeat_each(N): run every block N times (Test::Nginx API).
sub repeat_each {
    $REPEAT_EACH = $_[0] if @_;
    return $REPEAT_EACH;
}

# Section access.  Test::Base stores every section as an array ref.
sub _has { exists $_[0]->{ $_[1] } }

sub _sec {
    my ($block, $name) = @_;
    return unless exists $block->{$name};
    my @v = @{ $block->{$name} };
    return wantarray ? @v : $v[0];
}

# Non-empty lines of a (textual) section, leading/trailing blanks removed.
sub _lines {
    my ($block, $name) = @_;
    my @out;
    for my $v (_sec($block, $name)) {
        next unless defined $v;
        push @out, ref $v eq 'ARRAY' ? @$v : grep { /\S/ } map { s/^\s+|\s+$//gr } split /\n/, $v;
    }
    return @out;
}

# ---------------------------------------------------------------------------
# Variable substitution
# ---------------------------------------------------------------------------

sub _var_value {
    my ($name) = @_;
    for my $h (\%BLOCK_VARS, \%VARS) {
        next unless exists $h->{$name};
        my $v = $h->{$name};
        $v = $h->{$name} = $v->() if ref $v eq 'CODE';    # lazy values
        return $v;
    }
    return $ENV{$name};
}

# Replace $TEST_NGINX_FOO / ${TEST_NGINX_FOO}.  Unknown variables are fatal
# unless $lenient (used for request bodies).
sub _subst {
    my ($s, $what, $lenient) = @_;
    return $s if !defined $s || ref $s;
    $s =~ s{\$(?:\{(TEST_NGINX_[A-Z0-9_]+)\}|(TEST_NGINX_[A-Z0-9_]+))}{
        my $n = $1 // $2;
        my $v = _var_value($n);
        defined $v ? $v
          : $lenient ? "\$$n"
          : die "undefined variable \$$n in section '$what'\n";
    }ge;
    return $s;
}

# All values of a section with variables substituted.
sub _ssec {
    my ($block, $name) = @_;
    my @v = map { _subst($_, $name) } _sec($block, $name);
    return wantarray ? @v : $v[0];
}

sub _slines {
    my ($block, $name) = @_;
    return map { _subst($_, $name) } _lines($block, $name);
}

# Patterns of a --- error_log-like section: strings (substrings) or qr//.
sub _patterns {
    my ($block, $name) = @_;
    my @p;
    for my $v (_sec($block, $name)) {
        next unless defined $v;
        for my $x (ref $v eq 'ARRAY' ? @$v : ($v)) {
            if (ref $x eq 'Regexp') { push @p, $x }
            else { push @p, grep { /\S/ } map { s/^\s+|\s+$//gr } split /\n/, _subst($x, $name) }
        }
    }
    return @p;
}

# A regex section (response_body_like, stdout_like, ...) as a qr//.
# Textual patterns lose their final newline and get the /s and /m flags.
sub _regex {
    my ($block, $name) = @_;
    my $v = _sec($block, $name);
    return $v if ref $v eq 'Regexp';
    $v = _subst($v, $name);
    chomp $v;
    return qr/$v/sm;
}

# ---------------------------------------------------------------------------
# Small helpers (exported)
# ---------------------------------------------------------------------------

sub sha256_hex { Digest::SHA::sha256_hex(@_) }

# sha256_file($path): hex SHA-256 of a file.  Uses "openssl dgst" when
# available (several times faster than Digest::SHA on big files).
my $HAVE_OPENSSL;

sub sha256_file {
    my ($path) = @_;
    open my $fh, '<:raw', $path or die "sha256_file: cannot open $path: $!\n";
    $HAVE_OPENSSL //= grep({ -x "$_/openssl" } split /:/, $ENV{PATH} // '') ? 1 : 0;
    if ($HAVE_OPENSSL && -s $fh > MiB) {
        if (open my $p, '-|', 'openssl', 'dgst', '-sha256', '-r', $path) {
            my $out = <$p> // '';
            close $p;
            return $1 if $? == 0 && $out =~ /^([0-9a-f]{64})\b/;
        }
    }
    return Digest::SHA->new(256)->addfile($fh)->hexdigest;
}

# "8m" -> 8388608.  Suffixes k, m, g (powers of 1024), optional "b"/"ib".
sub parse_size {
    my ($s) = @_;
    die "parse_size: bad size '" . ($s // 'undef') . "'\n"
        unless defined $s && $s =~ /^\s*(\d+)\s*([kmgt]?)(?:i?b)?\s*$/i;
    my %mult = ('' => 1, k => 1024, m => MiB, g => 1024 * MiB, t => 1024 * 1024 * MiB);
    return $1 * $mult{ lc $2 };
}

# chunked_body(@pieces): HTTP/1.1 chunked framing of the pieces, with the
# terminating zero-length chunk (send with "Transfer-Encoding: chunked").
sub chunked_body {
    return join('', map { sprintf("%x\r\n", length $_) . "$_\r\n" } grep { length } @_) . "0\r\n\r\n";
}

sub servroot { $SERVROOT }
sub tmp_dir  { $TMP }

sub store_path {
    my ($rel) = @_;
    return $STORE unless defined $rel && length $rel;
    $rel =~ s{^/+}{};
    return "$STORE/$rel";
}

sub nginx_pid { $NGINX_PID }

# Pids of the worker (and cache helper) processes of the running master.
sub worker_pids {
    return () unless $NGINX_PID;
    my @pids;
    opendir my $dh, '/proc' or return ();
    for my $pid (grep { /^\d+\z/ } readdir $dh) {
        open my $fh, '<', "/proc/$pid/stat" or next;
        my $stat = <$fh> // next;
        my $rest = substr($stat, rindex($stat, ')') + 2);
        my (undef, $ppid) = split ' ', $rest;
        push @pids, $pid if $ppid == $NGINX_PID;
    }
    my @sorted = sort { $a <=> $b } @pids;
    return @sorted;
}

# wait_until(sub { cond }, $timeout_s = 5, $interval_s = 0.05): poll until
# the condition is true; returns its last value.
sub wait_until {
    my ($cond, $timeout, $interval) = @_;
    my $deadline = time + ($timeout // 5);
    while (1) {
        my $r = $cond->();
        return $r if $r || time >= $deadline;
        sleep($interval // 0.05);
    }
}

# The lines of a log file below the server root's logs/ (an access log of a
# backend server, say), once there are $n of them (or after 5 s).
sub log_lines {
    my ($name, $n) = @_;
    my @lines;
    wait_until(sub {
        open my $fh, '<', "$ENV{TEST_NGINX_SERVROOT}/logs/$name" or return 0;
        @lines = <$fh>;
        return @lines >= $n;
    }, 5, 0.1);
    return @lines;
}

# A log line's variable as it was: nginx escapes '"', '\\' and bytes over
# 0x7f as \xNN.
sub unescape_log {
    my ($s) = @_;
    $s =~ s/\\x([0-9A-F]{2})/chr hex $1/ge;
    return $s;
}

# ---------------------------------------------------------------------------
# Deterministic pseudo-random files
#
# A 1 MiB base block is expanded from the seed with SHA-256 in counter mode;
# block i of the file is that base block XORed with a repeated 32-byte key
# SHA-256(seed, i).  Every 1 MiB block differs, generation runs at disk
# speed, and the same (size, seed) always gives the same bytes.
# ---------------------------------------------------------------------------

sub gen_file {
    my ($path, $size, $seed) = @_;
    $size = parse_size($size);
    $seed //= 0;
    my $base = '';
    my $ctr = 0;
    $base .= Digest::SHA::sha512("bigupload-gen\0$seed\0" . $ctr++) while length $base < MiB;
    open my $fh, '>:raw', "$path.part" or die "gen_file: cannot create $path: $!\n";
    my $off = 0;
    for (my $i = 0; $off < $size; $i++) {
        my $key = Digest::SHA::sha256("bigupload-blk\0$seed\0$i");
        my $blk = $base ^ ($key x (MiB / 32));
        $blk = substr($blk, 0, $size - $off) if $size - $off < MiB;
        _write_all($fh, $blk) or die "gen_file: write $path: $!\n";
        $off += length $blk;
    }
    close $fh or die "gen_file: close $path: $!\n";
    rename "$path.part", $path or die "gen_file: rename $path: $!\n";
    return sha256_file($path);
}

sub _write_all {
    my ($fh, $data) = @_;
    my $off = 0;
    while ($off < length $data) {
        my $n = syswrite($fh, $data, length($data) - $off, $off);
        return 0 unless defined $n;
        $off += $n;
    }
    return 1;
}

my %GEN_CACHE;    # "size/seed" => { path, size, sha256 }

sub _gen_cached {
    my ($spec) = @_;
    my ($size_s, $seed) = split ' ', $spec, 2;
    my $size = parse_size($size_s);
    $seed //= 0;
    my $key = "$size/$seed";
    my $c = $GEN_CACHE{$key};
    return $c if $c && -f $c->{path} && -s _ == $size;
    my $tag = $seed =~ /^[\w.-]{1,40}\z/ ? $seed : substr(sha256_hex($seed), 0, 16);
    File::Path::make_path("$TMP/gen");
    my $path = "$TMP/gen/body-$size-$tag.bin";
    my $sha = gen_file($path, $size, $seed);
    return $GEN_CACHE{$key} = { path => $path, size => $size, sha256 => $sha };
}

# ---------------------------------------------------------------------------
# HTTP/1.x client
# ---------------------------------------------------------------------------

# http_request(%opts) -> ($status, \%headers, $body)   [list context]
#                     -> { status, headers, body, raw, error, ... } [scalar]
# Options:
#   method (GET), uri (/), http_version ('1.1'), port ($TEST_NGINX_PORT),
#   headers: hashref, arrayref of "Name: value" strings, or a multi-line
#            string; Host, Connection: close and Content-Length are added
#            unless given (no Content-Length when Content-Length or
#            Transfer-Encoding is given: the body is then sent verbatim)
#   body (string) | body_file (path, streamed in 1 MiB pieces)
#   raw: bytes sent verbatim instead of method/uri/headers/body
#   abort_after: send the headers and only N body bytes, then close; no
#                response is read
#   timeout (60 s)
sub http_request {
    my %o = @_;
    my $r = _http(%o);
    return wantarray ? ($r->{status}, $r->{headers}, $r->{body}) : $r;
}

sub _header_lines {
    my ($h) = @_;
    return () unless defined $h;
    return map { "$_: $h->{$_}" } sort keys %$h if ref $h eq 'HASH';
    return @$h if ref $h eq 'ARRAY';
    return grep { /\S/ } map { s/^\s+|\s+$//gr } split /\n/, $h;
}

sub _http {
    my %o = @_;
    local $SIG{PIPE} = 'IGNORE';
    my $port    = $o{port} // $PORT;
    my $timeout = $o{timeout} // 60;
    my $method  = uc($o{method} // 'GET');
    my $res = { status => undef, headers => {}, body => undef, raw => '', error => undef };

    # -- build the head and the body source
    my ($head, $body_len, $next_piece);
    my $expect100 = 0;
    if (defined $o{raw}) {
        $head = $o{raw};
        $body_len = 0;
    }
    else {
        my @h = _header_lines($o{headers});
        my %have = map { /^\s*([^:\s]+)\s*:/ ? (lc $1 => 1) : () } @h;
        $expect100 = grep { /^\s*expect\s*:\s*100-continue/i } @h;
        if (defined $o{body_file}) {
            $body_len = -s $o{body_file};
            die "http_request: body_file $o{body_file} not found\n" unless defined $body_len;
            open my $fh, '<:raw', $o{body_file} or die "http_request: open $o{body_file}: $!\n";
            $next_piece = sub {
                my $n = sysread($fh, my $buf, $_[0]);
                die "read $o{body_file}: $!\n" unless defined $n;
                return $buf;
            };
        }
        else {
            my $body = $o{body} // '';
            $body_len = length $body;
            my $pos = 0;
            $next_piece = sub {
                my $p = substr($body, $pos, $_[0]);
                $pos += length $p;
                return $p;
            };
        }
        unshift @h, 'Host: localhost' unless $have{host};
        push @h, 'Connection: close' unless $have{connection};
        push @h, "Content-Length: $body_len"
            if !$have{'content-length'} && !$have{'transfer-encoding'}
            && ($body_len > 0 || defined $o{body_file} || $method =~ /^(PUT|POST|PATCH)\z/);
        my $ver = $o{http_version} // '1.1';
        $ver =~ s{^HTTP/}{}i;
        $head = join "\r\n", "$method " . ($o{uri} // '/') . " HTTP/$ver", @h, '', '';
    }
    my $send_limit = defined $o{abort_after} ? $o{abort_after} : $body_len;

    my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                                     Proto => 'tcp', Timeout => 10);
    unless ($sock) {
        $res->{error} = "connect to 127.0.0.1:$port failed: $@";
        return $res;
    }
    binmode $sock;
    $sock->blocking(0);
    my $sel = IO::Select->new($sock);

    my $deadline = time + $timeout;
    my $out = $head;          # bytes waiting to be written
    my $sent_body = 0;        # body bytes handed to $out so far
    my $writing = 1;
    my $hold_until = $expect100 ? time + 1 : 0;   # wait for "100 Continue"
    my $in = '';
    my $eof = 0;
    my %pstate;               # parser state (response head, once parsed)

    while (1) {
        my $now = time;
        if ($now >= $deadline) {
            $res->{error} = "timeout after ${timeout}s (about $sent_body body bytes sent, "
                . length($in) . " response bytes received)";
            last;
        }
        # refill the output buffer from the body source
        if ($writing && $out eq '' && $sent_body < $send_limit
            && ($now >= $hold_until || $in =~ m{^HTTP/\d\.\d 100}))
        {
            my $piece = $next_piece->(_min(MiB, $send_limit - $sent_body));
            if (length $piece) { $out = $piece; $sent_body += length $piece }
            else { $send_limit = $sent_body }    # file shrank: stop
        }
        if ($writing && $out eq '' && $sent_body >= $send_limit) {
            $writing = 0;
            if (defined $o{abort_after}) {      # simulated client crash
                close $sock;
                $res->{aborted} = 1;
                $res->{body_sent} = $sent_body;
                return $res;
            }
        }
        my $wait = _min($deadline - $now, $out eq '' && $writing ? 0.05 : 1);
        my ($r, $w) = IO::Select::select($eof ? undef : $sel, ($writing && $out ne '') ? $sel : undef, undef, $wait);
        if ($w && @$w) {
            my $n = syswrite($sock, $out);
            if (defined $n) { substr($out, 0, $n) = '' }
            elsif ($! != EAGAIN && $! != EWOULDBLOCK && $! != EINTR) {
                $res->{write_error} = "$!";     # server closed early: read on
                $writing = 0;
                $out = '';
            }
        }
        my $got = 0;
        if ($r && @$r) {
            my $n = sysread($sock, $in, 262144, length $in);
            if (!defined $n) {
                next if $! == EAGAIN || $! == EWOULDBLOCK || $! == EINTR;
                $res->{read_error} = "$!";
                $eof = 1;
            }
            elsif ($n == 0) { $eof = 1 }
            else { $got = 1 }
        }
        next unless $got || $eof;
        my $p = _parse_response(\$in, $method, $eof, \%pstate);
        if ($p->{complete} || $eof) {
            @$res{keys %$p} = values %$p;
            if (!length $in) {
                $res->{error} = 'connection closed without response'
                    . ($res->{write_error} ? " (write error: $res->{write_error})" : '')
                    . ($res->{read_error} ? " (read error: $res->{read_error})" : '');
            }
            elsif (!$p->{complete}) {
                $res->{error} //= 'incomplete response';
            }
            last;
        }
    }
    close $sock;
    $res->{raw} = $in;
    $res->{body_sent} = $sent_body;
    return $res;
}

sub _min { $_[0] < $_[1] ? $_[0] : $_[1] }

# Parse a (possibly partial) HTTP/1.x response in $$bufref.  Interim 1xx
# responses are skipped.  $st caches the parsed head between calls (so big
# bodies are not re-parsed on every read).  Returns
# { complete, status, status_line, headers, body, interim => [...], error }.
sub _parse_response {
    my ($bufref, $method, $eof, $st) = @_;
    $st //= {};
    $st->{interim} //= [];
    my $r = { complete => 0, interim => $st->{interim} };
    until ($st->{head_done}) {
        my $pos = $st->{pos} // 0;
        my ($end, $sep) = (index($$bufref, "\r\n\r\n", $pos), 4);
        ($end, $sep) = (index($$bufref, "\n\n", $pos), 2) if $end < 0;
        if ($end < 0) {
            @$r{qw(complete error)} = (1, 'incomplete response head') if $eof && length $$bufref > $pos;
            return $r;
        }
        my @lines = split /\r?\n/, substr($$bufref, $pos, $end - $pos);
        my $status_line = shift(@lines) // '';
        my ($status) = $status_line =~ m{^HTTP/\d(?:\.\d)?\s+(\d{3})};
        unless (defined $status) {
            @$r{qw(complete error)} = ($eof, "bad status line: " . _short($status_line));
            return $r;
        }
        my %h;
        for (@lines) {
            next unless /^([^:\s]+)\s*:\s*(.*?)\s*$/;
            my $k = lc $1;
            $h{$k} = exists $h{$k} ? "$h{$k}, $2" : $2;
        }
        $st->{pos} = $end + $sep;
        if ($status >= 100 && $status < 200 && $status != 101) {
            push @{ $st->{interim} }, $status + 0;
            next;
        }
        @$st{qw(status status_line headers head_done)} = ($status + 0, $status_line, \%h, 1);
    }
    @$r{qw(status status_line headers)} = @$st{qw(status status_line headers)};
    my $pos = $st->{pos};
    my $avail = length($$bufref) - $pos;
    my $h = $st->{headers};
    if ($method eq 'HEAD' || $st->{status} == 204 || $st->{status} == 304) {
        @$r{qw(body complete)} = ('', 1);
    }
    elsif (($h->{'transfer-encoding'} // '') =~ /chunked/i) {
        # decode only when the data ends like a last chunk (or at EOF)
        my $tail = substr($$bufref, -_min(length $$bufref, 1024));
        return $r unless $eof || $tail =~ /(?:^|\n)0+[ \t]*(?:;[^\n]*)?\r?\n(?:[^\r\n]+\r?\n)*\r?\n\z/;
        my ($body, $p) = ('', $pos);
        while (1) {
            my $le = index($$bufref, "\n", $p);
            last if $le < 0;
            my ($len) = substr($$bufref, $p, $le - $p) =~ /^\s*([0-9a-fA-F]+)/;
            last unless defined $len;
            $len = hex $len;
            if ($len == 0) {
                $r->{complete} = 1;    # (trailers, if any, are ignored)
                last;
            }
            last if length($$bufref) < $le + 1 + $len;
            $body .= substr($$bufref, $le + 1, $len);
            $p = $le + 1 + $len;
            $p++ if substr($$bufref, $p, 1) eq "\r";
            $p++ if substr($$bufref, $p, 1) eq "\n";
        }
        $r->{body} = $body;
        if ($eof && !$r->{complete}) { @$r{qw(complete error)} = (1, 'truncated chunked body') }
    }
    elsif (defined $h->{'content-length'} && $h->{'content-length'} =~ /^\d+$/) {
        my $cl = $h->{'content-length'};
        return $r unless $avail >= $cl || $eof;
        @$r{qw(body complete)} = (substr($$bufref, $pos, $cl), 1);
        $r->{error} = "truncated body ($avail of $cl bytes)" if $avail < $cl;
    }
    elsif ($eof) {
        @$r{qw(body complete)} = (substr($$bufref, $pos), 1);    # close-delimited
    }
    return $r;
}

# start_bg_request(%opts): run http_request(%opts) in a forked child; returns
# a handle for wait_bg($handle [, $timeout]), which returns what
# http_request returns.
sub start_bg_request {
    my %o = @_;
    my $file = "$TMP/bg-$$-" . int(rand(1e9)) . '.res';
    my $pid = fork // die "start_bg_request: fork: $!\n";
    if ($pid == 0) {
        $SIG{$_} = 'DEFAULT' for qw(INT TERM HUP);
        my $r = eval { _http(%o) } || { error => "$@" };
        eval { Storable::nstore($r, $file) };
        POSIX::_exit(0);    # no END blocks, no Test::Builder output
    }
    $BG{$pid} = 1;
    return { pid => $pid, file => $file };
}

sub wait_bg {
    my ($h, $timeout) = @_;
    my $deadline = time + ($timeout // 120);
    while (waitpid($h->{pid}, WNOHANG) == 0) {
        if (time >= $deadline) { kill 'KILL', $h->{pid}; waitpid $h->{pid}, 0; last }
        sleep 0.01;
    }
    delete $BG{ $h->{pid} };
    my $r = eval { Storable::retrieve($h->{file}) } || { error => 'background request died or timed out' };
    unlink $h->{file};
    return wantarray ? ($r->{status}, $r->{headers}, $r->{body}) : $r;
}

# ---------------------------------------------------------------------------
# nginx configuration, start and stop
# ---------------------------------------------------------------------------

sub _has_directive {
    my ($text, $name) = @_;
    return defined $text && $text =~ /(?:^|[;{}])\s*\Q$name\E\b/m;
}

sub _write_conf {
    my ($block) = @_;
    my $main = _ssec($block, 'main_config') // '';
    my $http = _ssec($block, 'http_config') // '';
    my $conf = _ssec($block, 'config') // '';
    my $level = _ssec($block, 'log_level') // $ENV{BIGUPLOAD_LOG_LEVEL} // 'debug';
    $level =~ s/^\s+|\s+$//g;

    my $c = "# generated by Test::BigUpload for: " . $block->name . "\n";
    $c .= "load_module $MODULE_SO;\n" if -f $MODULE_SO;
    $c .= "$main\n" if length $main;
    $c .= "worker_processes 1;\n" unless _has_directive($main, 'worker_processes');
    $c .= "daemon off;\n";
    $c .= "master_process on;\n" unless _has_directive($main, 'master_process');
    $c .= "error_log logs/error.log $level;\n";
    $c .= "pid logs/nginx.pid;\n";
    $c .= "user root;\n" if $> == 0 && !_has_directive($main, 'user');
    $c .= "events {\n    worker_connections 1024;\n}\n" unless _has_directive($main, 'events');
    $c .= "http {\n";
    my %defaults = (
        access_log           => 'logs/access.log',
        default_type         => 'text/plain',
        client_body_temp_path => "$SERVROOT/client_body_temp",
        proxy_temp_path      => "$SERVROOT/proxy_temp",
        fastcgi_temp_path    => "$SERVROOT/fastcgi_temp",
        uwsgi_temp_path      => "$SERVROOT/uwsgi_temp",
        scgi_temp_path       => "$SERVROOT/scgi_temp",
    );
    for my $d (sort keys %defaults) {
        $c .= "    $d $defaults{$d};\n" unless _has_directive($http, $d);
    }
    # BIGUPLOAD_BODY_PATH=ring: every upload's body through the ring, none
    # spliced (make test-ring runs the body tests so, on both paths)
    $c .= "    bigupload_splice off;\n"
        if ($ENV{BIGUPLOAD_BODY_PATH} // '') eq 'ring' && -f $MODULE_SO
        && !_has_directive($http, 'bigupload_splice');
    $c .= "$http\n" if length $http;
    $c .= "    server {\n"
        . "        listen 127.0.0.1:$PORT;\n"
        . "        listen 127.0.0.1:$H2_PORT http2;\n"
        . "        server_name localhost;\n"
        . "$conf\n"
        . "    }\n}\n";
    open my $fh, '>', "$SERVROOT/conf/nginx.conf" or die "write nginx.conf: $!\n";
    print $fh $c;
    close $fh;
    return $c;
}

# Ask the kernel to send SIGTERM to the nginx master when we die, even by
# SIGKILL (Linux prctl(PR_SET_PDEATHSIG)); best effort, x86_64/aarch64 only.
sub _set_pdeathsig {
    my %nr = (x86_64 => 157, aarch64 => 167);
    my ($arch) = ($Config::Config{archname} // '') =~ /^(\w+?)-linux/;
    return unless $arch && $nr{$arch};
    syscall($nr{$arch}, 1, 15);    # PR_SET_PDEATHSIG, SIGTERM
}

# Start nginx in the foreground as our child.  Returns (1) once it accepts
# connections and wrote its pid file, (0, $why) if it exited or hung.
sub _start_nginx {
    my (%o) = @_;
    unlink "$SERVROOT/logs/nginx.pid";
    if (open my $tr, ">", $STDERR_LOG) { close $tr }    # fresh stderr log
    my $parent = $$;
    my $pid = fork // die "fork: $!\n";
    if ($pid == 0) {
        eval {
            _set_pdeathsig();
            POSIX::_exit(1) if getppid() != $parent;
            $SIG{$_} = 'DEFAULT' for qw(INT TERM HUP QUIT PIPE);
            open STDIN, '<', '/dev/null';
            open STDOUT, '>>', $STDERR_LOG;
            open STDERR, '>>', $STDERR_LOG;
            # nginx takes $NGINX for the sockets of a binary upgrade
            delete $ENV{NGINX};
            exec { $NGINX } $NGINX, '-p', "$SERVROOT/", '-c', 'conf/nginx.conf';
        };
        POSIX::_exit(127);
    }
    $NGINX_PID = $pid;
    my $deadline = time + ($o{timeout} // 10);
    while (time < $deadline) {
        if (waitpid($pid, WNOHANG) == $pid) {
            my $st = $?;
            $NGINX_PID = undef;
            return (0, 'nginx exited with ' . _wait_status($st));
        }
        # nginx opens its listening sockets before it writes the pid file
        if (_read_file("$SERVROOT/logs/nginx.pid") =~ /^\s*\Q$pid\E\s*$/
            && _port_listening($PORT))
        {
            return (1);
        }
        sleep 0.02;
    }
    return (0, "nginx did not accept connections on port $PORT within "
        . ($o{timeout} // 10) . 's');
}

# Is something listening on 127.0.0.1:$port?  Reads /proc/net/tcp, so that
# no probe connection shows up in error.log; falls back to connecting.
sub _port_listening {
    my ($port) = @_;
    if (open my $fh, '<', '/proc/net/tcp') {
        my $want = sprintf '0100007F:%04X', $port;
        while (<$fh>) {
            my (undef, $local, undef, $st) = split ' ';
            return 1 if $local eq $want && $st eq '0A';
        }
        return 0;
    }
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                                  Proto => 'tcp', Timeout => 1) or return 0;
    close $s;
    return 1;
}

sub _wait_status {
    my ($st) = @_;
    return 'signal ' . ($st & 127) if $st & 127;
    return 'exit code ' . ($st >> 8);
}

# Stop nginx: SIGQUIT (graceful), then SIGTERM, then SIGKILL for the master
# and any worker left behind.
sub _stop_nginx {
    my $pid = $NGINX_PID or return;
    my @workers = worker_pids();
    my $gone = 0;
    for my $step (['QUIT', 5], ['TERM', 3], ['KILL', 3]) {
        my ($sig, $secs) = @$step;
        kill $sig, $pid;
        my $deadline = time + $secs;
        while (time < $deadline) {
            my $r = waitpid($pid, WNOHANG);
            if ($r == $pid || $r < 0) { $gone = 1; last }
            sleep 0.01;
        }
        last if $gone;
        Test::More::diag("nginx master $pid ignored SIG$sig for ${secs}s");
    }
    $NGINX_PID = undef;
    # workers normally exit with the master; make sure of it
    for my $w (@workers) {
        next unless kill 0, $w;
        my $cmd = _read_file("/proc/$w/cmdline");
        next unless $cmd =~ /^nginx:/;
        wait_until(sub { !kill 0, $w }, 2);
        kill 'KILL', $w if kill 0, $w;
    }
}

sub _read_file {
    my ($path) = @_;
    open my $fh, '<:raw', $path or return '';
    local $/;
    my $d = <$fh>;
    return $d // '';
}

# ---------------------------------------------------------------------------
# error.log scanning (incremental, so polling is cheap even for big logs)
# ---------------------------------------------------------------------------

our %B;    # state of the block being run

sub _log_init {
    my (%o) = @_;
    $B{log_files} = [
        { path => $STDERR_LOG, off => 0, partial => '' },
        { path => $ERROR_LOG, off => $o{error_log_offset} // 0, partial => '' },
    ];
    $B{log_pos} = [map { { pat => $_, hit => undef } } @{ $o{pos} || [] }];
    $B{log_neg} = [map { { pat => $_, hit => undef } } @{ $o{neg} || [] }];
    $B{log_notable} = [];    # last non-debug lines, for diagnostics
}

sub _log_match {
    my ($line, $pat) = @_;
    return ref $pat eq 'Regexp' ? $line =~ $pat : index($line, $pat) >= 0;
}

sub _log_lines {
    for my $line (@_) {
        for my $p (@{ $B{log_pos} }, @{ $B{log_neg} }) {
            $p->{hit} //= $line if _log_match($line, $p->{pat});
        }
        if ($line =~ /\[(?:emerg|alert|crit|error|warn|notice|info)\]/) {
            my $n = $B{log_notable};
            push @$n, $line;
            shift @$n if @$n > 20;
        }
    }
}

sub _log_scan {
    for my $f (@{ $B{log_files} || [] }) {
        open my $fh, '<:raw', $f->{path} or next;
        seek $fh, $f->{off}, 0;
        while (1) {
            my $n = read($fh, my $chunk, MiB);
            last unless $n;
            $f->{off} += $n;
            my $data = $f->{partial} . $chunk;
            my $nl = rindex($data, "\n");
            if ($nl < 0) { $f->{partial} = $data; next }
            $f->{partial} = substr($data, $nl + 1);
            _log_lines(split /\n/, substr($data, 0, $nl));
        }
    }
}

# Final scan: also consider unterminated last lines.
sub _log_scan_final {
    _log_scan();
    _log_lines(grep { length } map { $_->{partial} } @{ $B{log_files} || [] });
}

sub _log_size { (-s $ERROR_LOG // 0) + (-s $STDERR_LOG // 0) }

# The log lines produced by the current block (nginx stderr + error.log).
sub error_log_text {
    my $text = _read_file($STDERR_LOG);
    if (open my $fh, '<:raw', $ERROR_LOG) {
        seek $fh, $B{error_log_offset} // 0, 0;
        local $/;
        $text .= <$fh> // '';
    }
    return $text;
}

sub _log_tail_diag {
    my ($n) = @_;
    # only the last 64 KiB of this block's part of error.log is read
    my $text = '';
    if (open my $fh, '<:raw', $ERROR_LOG) {
        my $start = $B{error_log_offset} // 0;
        my $size = -s $fh;
        $start = $size - 65536 if $size - $start > 65536;
        seek $fh, $start, 0;
        local $/;
        $text = <$fh> // '';
    }
    my @lines = split /\n/, $text;
    my $from = @lines > $n ? @lines - $n : 0;
    my $out = "---- error.log tail (last " . (@lines - $from) . " lines of this block) ----\n";
    $out .= "$_\n" for @lines[$from .. $#lines];
    if (my $err = _read_file($STDERR_LOG)) {
        $out .= "---- nginx stderr ----\n$err";
    }
    if (my @notable = @{ $B{log_notable} || [] }) {
        $out .= "---- non-debug lines of this block (last " . @notable . ") ----\n";
        $out .= "$_\n" for @notable;
    }
    Test::More::diag($out);
}

# ---------------------------------------------------------------------------
# Store checks
# ---------------------------------------------------------------------------

sub _temp_files {
    my @found;
    return @found unless -d $STORE;
    File::Find::find({
        no_chdir => 1,
        wanted   => sub {
            my $name = $File::Find::name;
            return if length($name) <= length($STORE);    # the store itself
            my $rel  = substr($name, length($STORE) + 1);
            # the partials' directory of resumable uploads may stay, with
            # the sweeper's lock; anything else in it is a partial left over
            return if $rel eq '.bigupload' || $rel eq '.bigupload/sweep.lock';
            push @found, $rel
                if File::Basename::basename($name) =~ /^\.bigupload/
                || $rel =~ m{^\.bigupload/};
        },
    }, $STORE);
    return sort @found;
}

sub _wipe_store {
    File::Path::remove_tree($STORE) if -e $STORE || -l $STORE;
    File::Path::make_path($STORE);
}

# ---------------------------------------------------------------------------
# Worker fd checks: after a block, every worker has the same open files as
# before its request.  Connections and thread-pool tasks close
# asynchronously, so the comparison is polled.
# ---------------------------------------------------------------------------

use constant FD_SETTLE_S => 10;    # how long the fds may take to close

# A process's open fds: { fd => readlink target }, or undef once it is gone.
sub _proc_fds {
    my ($pid) = @_;
    opendir my $dh, "/proc/$pid/fd" or return undef;
    my %fds;
    for my $fd (grep { /^\d+\z/ } readdir $dh) {
        my $t = readlink "/proc/$pid/fd/$fd";
        $fds{$fd} = $t if defined $t;    # else closed in the meantime
    }
    return \%fds;
}

# What an fd is, for comparing two processes or two moments: its target,
# without the inode numbers of sockets and pipes (a worker that replaces
# another gets new channel sockets) and without " (deleted)".
sub _fd_kind {
    my ($t) = @_;
    $t =~ s/^((?:socket|pipe):)\[\d+\]\z/$1\[]/;
    $t =~ s/ \(deleted\)\z//;
    return $t;
}

sub _fd_kinds {
    my ($fds) = @_;
    my %k;
    $k{ _fd_kind($_) }++ for values %$fds;
    return \%k;
}

sub _same_kinds {
    my ($x, $y) = @_;
    return 0 unless keys %$x == keys %$y;
    for (keys %$x) { return 0 unless ($y->{$_} // 0) == $x->{$_} }
    return 1;
}

# The title nginx gave a process ("nginx: worker process", "... is
# shutting down", "nginx: cache manager process", ...).
sub _proc_title {
    my ($pid) = @_;
    my $c = _read_file("/proc/$pid/cmdline");
    $c =~ s/\0.*//s;
    $c =~ s/\s+\z//;
    return $c;
}

# A worker is ready (its modules initialised) once its main thread waits in
# epoll.  Where the kernel does not tell (wchan "0"), stable fds must do.
sub _in_event_loop {
    my ($pid) = @_;
    my $w = _read_file("/proc/$pid/wchan");
    return 1 if $w eq '' || $w eq '0';
    return $w =~ /epoll/ ? 1 : 0;
}

# The running workers (no cache manager/loader, no worker shutting down):
# { pid => { fd => target } }.
sub _worker_fds {
    my %w;
    for my $pid (worker_pids()) {
        next unless _proc_title($pid) eq 'nginx: worker process';
        my $fds = _proc_fds($pid) or next;
        $w{$pid} = $fds;
    }
    return \%w;
}

# The baseline, taken after nginx started and before the block's request:
# all $want workers (0: at least one) in their event loop, with the same
# fds in three samples in a row.  Returns ($baseline) or (undef, $why).
sub _fd_baseline {
    my ($want) = @_;
    my $deadline = time + 10;
    my ($prev, $same) = (undef, 0);
    while (1) {
        my $snap = _worker_fds();
        my @pids = sort { $a <=> $b } keys %$snap;
        my $ready = @pids && @pids >= $want && !grep { !_in_event_loop($_) } @pids;
        if ($ready && $prev && join(',', @pids) eq join(',', sort { $a <=> $b } keys %$prev)
            && !grep { !_same_kinds(_fd_kinds($snap->{$_}), _fd_kinds($prev->{$_})) } @pids)
        {
            return $snap if ++$same >= 2;
        }
        else {
            $same = 0;
        }
        $prev = $snap;
        if (time >= $deadline) {
            return (undef, 'no worker process') unless @pids;
            return (undef, "the workers' fds did not settle within 10 s after nginx started");
        }
        sleep 0.025;
    }
}

# Compare the running workers with the baseline.  A worker of the baseline
# is compared with itself; a worker started during the block (a reload, or
# the replacement of a killed one) with the baseline's workers, as it was
# forked from the same master with the same config.  Returns
# { compared => [pids], leaks => [text, ...], notes => [text, ...] }.
sub _fd_compare {
    my ($base) = @_;
    my $now = _worker_fds();
    my %r = (compared => [], leaks => [], notes => []);
    for my $pid (sort { $a <=> $b } keys %$base) {
        next if $now->{$pid};
        my $title = kill(0, $pid) ? _proc_title($pid) : '';
        push @{ $r{notes} }, $title =~ /shutting down/
            ? "worker $pid is shutting down (reload): not compared"
            : "worker $pid exited during the block: not compared";
    }
    my @kinds = map { [$_, _fd_kinds($base->{$_})] } sort { $a <=> $b } keys %$base;
    for my $pid (sort { $a <=> $b } keys %$now) {
        my $k = _fd_kinds($now->{$pid});
        my $ref = $pid;
        if (!$base->{$pid}) {    # a new worker: like any worker of the baseline?
            my ($match) = grep { _same_kinds($k, $_->[1]) } @kinds;
            $ref = ($match || $kinds[0])->[0];
            push @{ $r{notes} }, "worker $pid started during the block: compared with worker $ref of the baseline";
        }
        push @{ $r{compared} }, $pid;
        next if _same_kinds($k, _fd_kinds($base->{$ref}));
        push @{ $r{leaks} }, _fd_diff($pid, $now->{$pid}, $ref, $base->{$ref});
    }
    return \%r;
}

# A leak report: the fds that differ, with their targets.
sub _fd_diff {
    my ($pid, $after, $ref, $before) = @_;
    my $fmt = sub { my ($h, $fd) = @_; "fd $fd -> $h->{$fd}" };
    my $num = sub { sort { $a <=> $b } @_ };
    my @added = $num->(grep { ($before->{$_} // '') ne $after->{$_} } keys %$after);
    my @gone  = $num->(grep { ($after->{$_} // '') ne $before->{$_} } keys %$before);
    my $t = $ref == $pid
        ? sprintf("worker %d had %d fds before the request, %d now", $pid,
                  scalar keys %$before, scalar keys %$after)
        : sprintf("worker %d (started during the block) has %d fds, worker %d had %d before the request",
                  $pid, scalar keys %$after, $ref, scalar keys %$before);
    $t .= "\n  open now:   " . join("\n              ", map { $fmt->($after, $_) } @added) if @added;
    $t .= "\n  open before: " . join("\n               ", map { $fmt->($before, $_) } @gone) if @gone;
    return $t;
}

# The check: polled until the workers' fds are back, or FD_SETTLE_S.
sub _check_worker_fds {
    my ($name) = @_;
    my $what = "$name - worker fds back to their count";
    my $base = $B{fd_base};
    unless ($base) {
        Test::More->builder->skip("$what: no baseline: " . ($B{fd_base_why} // '?'));
        return;
    }
    my $r;
    my $deadline = time + FD_SETTLE_S;
    while (1) {
        $r = _fd_compare($base);
        last if !@{ $r->{leaks} } || time >= $deadline;
        sleep 0.1;
    }
    unless (@{ $r->{compared} }) {
        Test::More->builder->skip("$what: no worker left to compare ("
            . join('; ', @{ $r->{notes} }) . ')');
        return;
    }
    Test::More::note($_) for @{ $r->{notes} };
    _t('ok', !@{ $r->{leaks} }, $what)
        or Test::More::diag(join "\n", @{ $r->{leaks} }, @{ $r->{notes} });
}

# ---------------------------------------------------------------------------
# --- exec
# ---------------------------------------------------------------------------

sub _run_exec {
    my ($cmd, %o) = @_;
    my $out = "$TMP/exec.stdout";
    my $err = "$TMP/exec.stderr";
    my $stdin = $o{stdin} // '/dev/null';
    die "stdin_file '$stdin' not found\n" unless -e $stdin;
    my $pid = fork // die "fork: $!\n";
    if ($pid == 0) {
        eval {
            setpgrp(0, 0);
            $SIG{$_} = 'DEFAULT' for qw(INT TERM HUP QUIT PIPE);
            chdir $REPO or die;
            open STDIN, '<', $stdin or die;
            open STDOUT, '>', $out or die;
            open STDERR, '>', $err or die;
            exec '/bin/sh', '-c', $cmd;
        };
        POSIX::_exit(127);
    }
    my $deadline = time + ($o{timeout} // 60);
    my ($exit, $timed_out);
    while (1) {
        my $r = waitpid($pid, WNOHANG);
        if ($r == $pid) {
            $exit = $? & 127 ? 128 + ($? & 127) : $? >> 8;
            last;
        }
        if (time >= $deadline) {
            $timed_out = 1;
            kill 'TERM', -$pid;
            wait_until(sub { waitpid($pid, WNOHANG) == $pid }, 2)
                or do { kill 'KILL', -$pid; waitpid $pid, 0 };
            $exit = -1;
            last;
        }
        sleep 0.01;
    }
    kill 'KILL', -$pid;    # reap leftovers of the process group, if any
    return {
        exit      => $exit,
        stdout    => _read_file($out),
        stderr    => _read_file($err),
        timed_out => $timed_out,
    };
}

# ---------------------------------------------------------------------------
# Assertion helpers (long strings are not dumped in full)
# ---------------------------------------------------------------------------

# _t($fn, @args): call Test::More::$fn so that a failure is reported at the
# test file's line of the current block ("=== TEST n" line), not in here.
my %T_SUBS;

sub _t {
    my ($fn, @args) = @_;
    my $line = $B{line} || 0;
    my $file = $0 =~ s/["\n]/_/gr;
    my $code = $T_SUBS{"$fn:$line"} //= do {
        ## no critic (BuiltinFunctions::ProhibitStringyEval)
        eval "sub {\n#line $line \"$file\"\n&Test::More::$fn(\@_) }" or die $@;
    };
    return $code->(@args);
}

# Line numbers of the "=== name" lines in the test file, by block name.
my %BLOCK_LINES;

sub _find_block_lines {
    open my $fh, '<', $0 or return;
    my $in_data = 0;
    while (my $l = <$fh>) {
        if (!$in_data) { $in_data = 1 if $l =~ /^__(?:DATA|END)__\r?$/; next }
        push @{ $BLOCK_LINES{$1} }, $. if $l =~ /^===[ \t]*(.*?)\s*$/;
    }
}

sub _short {
    my ($s, $max) = @_;
    $max //= 200;
    return 'undef' unless defined $s;
    my $t = length $s > $max ? substr($s, 0, $max) . '...(' . length($s) . ' bytes)' : $s;
    $t =~ s/([^\x20-\x7e\n])/sprintf '\\x%02x', ord $1/ge;
    return $t;
}

sub _is_str {
    my ($got, $exp, $name) = @_;
    if (!defined $got || !defined $exp || (length $got < 2048 && length $exp < 2048)) {
        return _t('is', $got, $exp, $name);
    }
    my $ok = _t('ok', $got eq $exp, $name);
    unless ($ok) {
        my $i = 0;
        my $max = _min(length $got, length $exp);
        $i++ while $i < $max && substr($got, $i, 1) eq substr($exp, $i, 1);
        Test::More::diag(sprintf "got %d bytes, expected %d bytes; first difference at offset %d:\n"
            . "   got: %s\nexpect: %s", length $got, length $exp, $i,
            _short(substr($got, $i, 60)), _short(substr($exp, $i, 60)));
    }
    return $ok;
}

sub _like_str {
    my ($got, $re, $name, $negate) = @_;
    my $m = defined $got && $got =~ $re;
    my $ok = _t('ok', $negate ? !$m : $m, $name);
    Test::More::diag("   got: " . _short($got, 2000) . "\n" . ($negate ? "matches" : "doesn't match")
        . " '$re'") unless $ok;
    return $ok;
}

# ---------------------------------------------------------------------------
# The test loop
# ---------------------------------------------------------------------------

# run_tests(): run every block (repeat_each() times).  When the test file
# declared no plan, done_testing() is called at the end.
sub run_tests {
    my $tb = Test::More->builder;
    my $had_plan = defined $tb->has_plan;
    # Test::Base's END block runs run_compare() unless plan() was called;
    # plan() without arguments is a no-op that merely records the call.
    $tb->plan unless $had_plan;
    $B{had_plan} = $had_plan;
    _find_block_lines();
    for my $block (Test::Base::blocks()) {
        if (defined(my $err = _preprocess_block($block))) {
            my $lines = $BLOCK_LINES{ $block->name } || [];
            $B{line} = $lines->[0] // 0;
            shift @$lines if @$lines > 1;    # duplicate names
            _t('fail', $block->name . " - block preprocessor");
            Test::More::diag("block preprocessor died: $err");
            next;
        }
        for my $rep (1 .. $REPEAT_EACH) {
            _run_block($block, $rep);
        }
    }
    Test::More::done_testing() unless $had_plan;
}

sub _block_name {
    my ($block, $rep) = @_;
    my $name = $block->name;
    $name .= " (repeat $rep)" if $REPEAT_EACH > 1;
    return $name;
}

# Number of assertions a block makes (used to skip blocks under a plan).
sub _count_tests {
    my ($b) = @_;
    my $n = eval { _count_tests_inner($b) };
    return $n // 1;
}

sub _count_tests_inner {
    my ($b) = @_;
    my $n = _patterns($b, 'error_log') + _patterns($b, 'no_error_log');
    return 1 + $n if _has($b, 'must_die');
    $n += grep { _has($b, $_) } qw(error_code response_body response_body_like
        response_body_unlike exit_code stdout stdout_like stderr_like
        stderr_unlike stored_body);
    $n += _lines($b, $_) for qw(response_headers response_headers_like not_stored
        stored_file stored_sha256 stored_size);
    $n++ unless _has($b, 'temp_files_allowed');
    $n++ unless _has($b, 'open_fds_allowed');
    $n += (_sec($b, 'check_tests') // 0) =~ /(\d+)/ ? $1 : 0;
    return $n;
}

sub _skip_reason {
    my ($block) = @_;
    if (_has($block, 'large') && !$ENV{BIGUPLOAD_LARGE}) {
        return 'set BIGUPLOAD_LARGE=1 (make test-large)';
    }
    my $why = _sec($block, 'skip_reason');
    $why = undef if defined $why && $why !~ /\S/;
    if (_has($block, 'skip_unless_root') && $> != 0) {
        return $why // 'needs root';
    }
    if (_has($block, 'skip_if')) {
        my $expr = _ssec($block, 'skip_if');
        my $r = _eval_in_main($expr, 'skip_if of ' . $block->name);
        die "skip_if expression failed: $@" if $@;
        return $why // "skip_if: $expr" if $r;
    }
    return;
}

sub _fail_count {
    return scalar grep { !$_ } Test::More->builder->summary;
}

sub _run_block {
    my ($block, $rep) = @_;
    my $name = _block_name($block, $rep);
    my $lines = $BLOCK_LINES{ $block->name } || [];
    my $line = $lines->[0] // 0;
    shift @$lines if $rep == $REPEAT_EACH && @$lines > 1;    # duplicate names
    %B = (had_plan => $B{had_plan}, line => $line);

    my $skip = eval { _skip_reason($block) };
    if ($@) { _t('fail', "$name - skip condition"); Test::More::diag($@); return }
    if (defined $skip) {
        my $n = $B{had_plan} ? _count_tests($block) : 1;
        Test::More->builder->skip("$name: $skip") for 1 .. ($n || 1);
        return;
    }

    my $fails_before = _fail_count();
    _unpublish_block_vars();
    my $ok = eval { _run_block_inner($block, $name); 1 };
    my $err = $@;
    _reap_bg();
    unless ($ok) {
        _t('fail', "$name - harness");
        Test::More::diag("block aborted: $err");
    }
    _log_scan() if $B{log_files};
    _log_tail_diag(40) if _fail_count() > $fails_before && $B{log_files};
    _stop_nginx();
    _check_sanitizer_logs($name) if $SANITIZER_LOGS;
    _unpublish_block_vars();
}

# After nginx stopped (its workers' reports are written by then): a new file
# in $SANITIZER_LOGS is a report of nginx's or of a command the block ran,
# and fails the block, with the report.  A clean block adds no test, so
# that plans do not change.
sub _check_sanitizer_logs {
    my ($name) = @_;
    opendir my $dh, $SANITIZER_LOGS or return;
    my @new = sort grep { !/^\.\.?\z/ && !$SANITIZER_SEEN{$_}++ } readdir $dh;
    return unless @new;
    _t('fail', "$name - no sanitizer report");
    for my $f (@new) {
        my @lines = split /\n/, _read_file("$SANITIZER_LOGS/$f");
        splice @lines, 120 if @lines > 120;
        Test::More::diag("---- $SANITIZER_LOGS/$f ----\n" . join("\n", @lines));
    }
}

# Kill and reap the background requests never waited for.
sub _reap_bg {
    for my $pid (keys %BG) {
        kill 'KILL', $pid;
        waitpid $pid, 0;
        delete $BG{$pid};
    }
}

sub _run_block_inner {
    my ($block, $name) = @_;
    my $timeout = _ssec($block, 'timeout') // 60;
    $timeout =~ s/\s+//g;

    # -- fresh store, body generation, per-block variables
    _wipe_store();
    for my $f (glob("$TMP/exec.std*")) { unlink $f }
    my $body_info;
    if (_has($block, 'request_body_gen')) {
        $body_info = _gen_cached(_ssec($block, 'request_body_gen'));
        _set_body_vars($body_info->{path}, $body_info->{size}, $body_info->{sha256});
    }

    if (_has($block, 'setup')) {
        _publish_block_vars(_sec($block, 'setup'));
        _eval_in_main(_sec($block, 'setup'), "setup of $name");
        die "--- setup failed: $@" if $@;
    }

    # -- nginx
    my $conf = _write_conf($block);
    $B{error_log_offset} = -s $ERROR_LOG // 0;
    _log_init(
        error_log_offset => $B{error_log_offset},
        pos => [_patterns($block, 'error_log')],
        neg => [_patterns($block, 'no_error_log')],
    );

    if (_has($block, 'must_die')) {
        my ($started, $why) = _start_nginx();
        if ($started) {
            _t('fail', "$name - nginx refused to start");
            _stop_nginx();
        }
        else {
            _t('pass', "$name - nginx refused to start");
        }
        _log_scan_final();
        _check_error_log($name);
        return;
    }

    my ($started, $why) = _start_nginx();
    unless ($started) {
        _log_scan_final();
        _t('fail', "$name - nginx started");
        Test::More::diag("$why\n---- nginx.conf ----\n$conf");
        return;
    }

    unless (_has($block, 'open_fds_allowed')) {
        my ($want) = $conf =~ /^\s*worker_processes\s+(\d+)\s*;/m;
        @B{qw(fd_base fd_base_why)} = _fd_baseline($want // 0);
    }

    if (_has($block, 'init')) {
        _publish_block_vars(_sec($block, 'init'));
        _eval_in_main(_sec($block, 'init'), "init of $name");
        die "--- init failed: $@" if $@;
    }

    # -- the request
    my $res;
    if (_has($block, 'request') || _has($block, 'raw_request')) {
        $res = _block_request($block, $timeout, \$body_info);
    }
    if (_has($block, 'request_body_file') && !$body_info) {    # for exec blocks
        my $f = _ssec($block, 'request_body_file');
        $f =~ s/^\s+|\s+$//g;
        $body_info = { path => $f, size => -s $f };
        _set_body_vars($f, -s $f);
    }

    # -- the shell command
    my $ex;
    if (_has($block, 'exec')) {
        my $cmd = _ssec($block, 'exec');
        my $stdin = _ssec($block, 'stdin_file');
        $stdin =~ s/^\s+|\s+$//g if defined $stdin;
        _publish_block_vars(_sec($block, 'exec'));
        $ex = _run_exec($cmd, timeout => $timeout, stdin => $stdin);
    }

    # -- let nginx finish (logging, cleanup) before checking
    my $aborted = $res && $res->{aborted};
    _settle($block, $aborted ? 5 : 3, $aborted ? 0.5 : 0.1);
    if (my $w = _sec($block, 'wait')) { sleep $w }

    _check_response($block, $name, $res) if $res || _has($block, 'error_code');
    _check_exec($block, $name, $ex) if $ex;
    _check_store($block, $name, $body_info);

    if (_has($block, 'check')) {
        no strict 'refs';
        ${'main::status'}      = $res ? $res->{status} : undef;
        ${'main::body'}        = $res ? $res->{body} : undef;
        ${'main::headers'}     = $res ? ($res->{headers} || {}) : {};
        ${'main::response'}    = $res;
        ${'main::exec_stdout'} = $ex ? $ex->{stdout} : undef;
        ${'main::exec_stderr'} = $ex ? $ex->{stderr} : undef;
        ${'main::exec_exit'}   = $ex ? $ex->{exit} : undef;
        ${'main::block'}       = $block;
        _publish_block_vars(_sec($block, 'check'));
        _eval_in_main(_sec($block, 'check'), "check of $name");
        if ($@) {
            _t('fail', "$name - check code");
            Test::More::diag("--- check died: $@");
        }
    }

    _log_scan_final();
    _check_error_log($name);

    unless (_has($block, 'temp_files_allowed')) {
        my @tmp = _temp_files();
        _t('ok', !@tmp, "$name - no orphan .bigupload temp files")
            or Test::More::diag("found in store: @tmp");
    }

    unless (_has($block, 'open_fds_allowed')) {
        _reap_bg();    # a request left running holds a connection
        _check_worker_fds($name);
    }
}

# Per-block variables describing the request body.  The sha256 of a file
# given by --- request_body_file is computed only when it is used.
sub _set_body_vars {
    my ($path, $size, $sha) = @_;
    $BLOCK_VARS{TEST_NGINX_BODY_FILE} = $path if defined $path;
    $BLOCK_VARS{TEST_NGINX_BODY_SIZE} = $size;
    $BLOCK_VARS{TEST_NGINX_BODY_SHA256} = $sha // sub { sha256_file($path) };
}

# Make the per-block variables visible in %ENV and as package variables of
# main, before running code or a command; lazy values are only computed if
# $text mentions them.
sub _publish_block_vars {
    my ($text) = @_;
    no strict 'refs';
    for my $k (keys %BLOCK_VARS) {
        next if ref $BLOCK_VARS{$k} eq 'CODE' && index($text // '', $k) < 0;
        my $v = _var_value($k);
        $ENV{$k} = $v;
        ${"main::$k"} = $v;
    }
}

sub _unpublish_block_vars {
    no strict 'refs';
    for my $k (keys %BLOCK_VARS) {
        delete $ENV{$k} unless exists $VARS{$k};
        ${"main::$k"} = undef;
    }
    %BLOCK_VARS = ();
}

# Send the block's --- request / --- raw_request.
sub _block_request {
    my ($block, $timeout, $body_info_ref) = @_;
    my %o = (timeout => $timeout);
    if (_has($block, 'raw_request')) {
        $o{raw} = _ssec($block, 'raw_request');
        return _http(%o);
    }
    my $req = _sec($block, 'request');
    $req = '' unless defined $req;
    my ($line, $body) = split /\n/, $req, 2;
    $line = _subst($line, 'request');
    $body = _subst($body // '', 'request', 1);
    my ($method, $uri, $ver) = $line =~ m{^\s*(\S+)\s+(\S+)(?:\s+(HTTP/\d\.\d))?\s*$}
        or die "bad request line in --- request: '$line'\n";
    @o{qw(method uri http_version)} = ($method, $uri, $ver);
    $o{headers} = [_slines($block, 'more_headers')];

    if ($$body_info_ref) {    # --- request_body_gen
        $o{body_file} = $$body_info_ref->{path};
    }
    elsif (_has($block, 'request_body_file')) {
        my $f = _ssec($block, 'request_body_file');
        $f =~ s/^\s+|\s+$//g;
        die "request_body_file '$f' not found\n" unless -f $f;
        $o{body_file} = $f;
        $$body_info_ref = { path => $f, size => -s $f };
        _set_body_vars($f, -s $f);
    }
    else {
        $o{body} = $body;
        $$body_info_ref = { size => length $body, sha256 => sha256_hex($body) };
        _set_body_vars(undef, length $body, $$body_info_ref->{sha256});
    }
    $o{abort_after} = _ssec($block, 'abort_after') if _has($block, 'abort_after');
    $o{abort_after} = parse_size($o{abort_after}) if defined $o{abort_after};
    return _http(%o);
}

# Wait (bounded) until the error log is quiet for $quiet seconds and the
# block's positive expectations hold.
sub _settle {
    my ($block, $max, $quiet) = @_;
    my @files = _slines($block, 'stored_file');
    my @absent = _slines($block, 'not_stored');
    my $allow_tmp = _has($block, 'temp_files_allowed');
    my $deadline = time + $max;
    my ($size, $since) = (-1, time);
    while (1) {
        my $now = time;
        my $s = _log_size();
        ($size, $since) = ($s, $now) if $s != $size;
        _log_scan();
        my $hold = ($now - $since >= $quiet)
            && !grep({ !defined $_->{hit} } @{ $B{log_pos} })
            && !grep({ !-e store_path($_) } @files)
            && !grep({ -e store_path($_) || -l store_path($_) } @absent)
            && ($allow_tmp || !_temp_files());
        return 1 if $hold || $now >= $deadline;
        sleep 0.05;
    }
}

sub _check_response {
    my ($block, $name, $res) = @_;
    $res ||= { error => 'no request was sent' };
    if (defined $res->{error} && !$res->{aborted}) {
        Test::More::diag("$name: response problem: $res->{error}");
    }
    if (_has($block, 'error_code')) {
        my $exp = _ssec($block, 'error_code');
        $exp =~ s/\s+//g;
        _t('is', $res->{status}, $exp, "$name - status code")
            or Test::More::diag(length($res->{raw} // '') ? "response: " . _short($res->{raw}, 1000)
                                                          : "no response received");
    }
    if (_has($block, 'response_body')) {
        _is_str($res->{body}, _ssec($block, 'response_body'), "$name - response body");
    }
    if (_has($block, 'response_body_like')) {
        _like_str($res->{body}, _regex($block, 'response_body_like'), "$name - response body like");
    }
    if (_has($block, 'response_body_unlike')) {
        _like_str($res->{body}, _regex($block, 'response_body_unlike'), "$name - response body unlike", 1);
    }
    my $h = $res->{headers} || {};
    for my $line (_slines($block, 'response_headers')) {
        if ($line =~ /^!\s*(\S+)/) {
            my $k = $1;
            _t('ok', !exists $h->{ lc $k }, "$name - header $k absent")
                or Test::More::diag("$k: $h->{lc $k}");
        }
        elsif ($line =~ /^([^:\s]+)\s*:\s*(.*)$/) {
            _t('is', $h->{ lc $1 }, $2, "$name - header $1");
        }
        else { die "bad response_headers line '$line'\n" }
    }
    for my $line (_slines($block, 'response_headers_like')) {
        $line =~ /^([^:\s]+)\s*:\s*(.*)$/ or die "bad response_headers_like line '$line'\n";
        my ($k, $re) = ($1, $2);
        _like_str($h->{ lc $k }, qr/$re/, "$name - header $k like");
    }
}

sub _check_exec {
    my ($block, $name, $ex) = @_;
    my $exp_exit;
    if (_has($block, 'exit_code')) {
        $exp_exit = _ssec($block, 'exit_code');
        $exp_exit =~ s/\s+//g;
        _t('is', $ex->{exit}, $exp_exit, "$name - exit code")
            or Test::More::diag(($ex->{timed_out} ? "--- exec timed out\n" : '')
                . "stdout: " . _short($ex->{stdout}, 1500)
                . "\nstderr: " . _short($ex->{stderr}, 1500));
    }
    Test::More::diag("$name: --- exec timed out") if $ex->{timed_out} && ($exp_exit // 0) != -1;
    _is_str($ex->{stdout}, _ssec($block, 'stdout'), "$name - stdout") if _has($block, 'stdout');
    for my $s (['stdout_like', 'stdout', 0], ['stderr_like', 'stderr', 0], ['stderr_unlike', 'stderr', 1]) {
        my ($sec, $what, $neg) = @$s;
        next unless _has($block, $sec);
        my $desc = $sec =~ s/_/ /r;
        _like_str($ex->{$what}, _regex($block, $sec), "$name - $desc", $neg);
    }
}

sub _check_store {
    my ($block, $name, $body_info) = @_;
    my @files = _slines($block, 'stored_file');
    my @shas  = _slines($block, 'stored_sha256');
    my @sizes = _slines($block, 'stored_size');
    die "stored_sha256/stored_size/stored_body need --- stored_file\n"
        if !@files && (@shas || @sizes || _has($block, 'stored_body'));

    my $body_sha = sub {
        return undef unless $body_info;
        $body_info->{sha256} //= sha256_file($body_info->{path}) if $body_info->{path};
        return $body_info->{sha256};
    };

    for my $i (0 .. $#files) {
        my $rel = $files[$i];
        my $p = store_path($rel);
        my $is_file = lstat($p) && -f _;
        _t('ok', $is_file, "$name - stored file $rel")
            or Test::More::diag(-l $p ? "$rel is a symlink" : -e _ ? "$rel is not a regular file"
                                                                  : "$rel does not exist");
        if ($i == 0 && _has($block, 'stored_body')) {
            _is_str($is_file ? _read_file($p) : undef, _ssec($block, 'stored_body'),
                "$name - stored body $rel");
        }
        if (defined $shas[$i]) {
            my $exp = $shas[$i] eq 'BODY' ? $body_sha->() : lc $shas[$i];
            _t('is', $is_file ? sha256_file($p) : undef, $exp, "$name - stored sha256 $rel");
        }
        if (defined $sizes[$i]) {
            my $exp = $sizes[$i] eq 'BODY' ? ($body_info ? $body_info->{size} : undef) : parse_size($sizes[$i]);
            _t('is', $is_file ? -s $p : undef, $exp, "$name - stored size $rel");
        }
    }
    die "more stored_sha256/stored_size lines than stored_file lines\n"
        if @shas > @files || @sizes > @files;

    for my $rel (_slines($block, 'not_stored')) {
        my $p = store_path($rel);
        _t('ok', !lstat($p), "$name - not stored $rel");
    }
}

sub _check_error_log {
    my ($name) = @_;
    for my $p (@{ $B{log_pos} }) {
        my $what = ref $p->{pat} ? "$p->{pat}" : $p->{pat};
        _t('ok', defined $p->{hit}, "$name - error_log: " . _short($what, 80))
            or Test::More::diag("pattern not found in this block's error.log: $what");
    }
    for my $p (@{ $B{log_neg} }) {
        my $what = ref $p->{pat} ? "$p->{pat}" : $p->{pat};
        _t('ok', !defined $p->{hit}, "$name - no_error_log: " . _short($what, 80))
            or Test::More::diag("found: $p->{hit}");
    }
}

1;
