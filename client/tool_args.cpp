#include "tool_args.hpp"

#include <cerrno>
#include <cstring>

#include <unistd.h>

#include "base/path.hpp"
#include "base/size.hpp"
#include "tool_exit.hpp"
#include "tool_resume.hpp"
#include "tool_url.hpp"

namespace bgclient {

namespace {

enum class Opt {
    header, user, oauth2_bearer, insecure, cacert, http1_1, http2, limit_rate,
    connect_timeout, max_time, retries, overwrite, json, quiet, progress,
    verbose, version, help, parallel, chunk_size, restart, status, no_resume,
    protocol, ietf_version, digest,
};

struct OptDef {
    const char *long_name;
    char short_name;  // 0: none
    bool takes_value;
    Opt id;
};

const OptDef options[] = {
    {"header", 'H', true, Opt::header},
    {"user", 'u', true, Opt::user},
    {"oauth2-bearer", 0, true, Opt::oauth2_bearer},
    {"insecure", 'k', false, Opt::insecure},
    {"cacert", 0, true, Opt::cacert},
    {"http1.1", 0, false, Opt::http1_1},
    {"http2", 0, false, Opt::http2},
    {"limit-rate", 0, true, Opt::limit_rate},
    {"connect-timeout", 0, true, Opt::connect_timeout},
    {"max-time", 0, true, Opt::max_time},
    {"retries", 0, true, Opt::retries},
    {"overwrite", 0, false, Opt::overwrite},
    {"digest", 0, true, Opt::digest},
    {"protocol", 0, true, Opt::protocol},
    {"parallel", 'j', true, Opt::parallel},
    {"chunk-size", 0, true, Opt::chunk_size},
    {"restart", 0, false, Opt::restart},
    {"status", 0, false, Opt::status},
    {"no-resume", 0, false, Opt::no_resume},
    {"ietf-version", 0, true, Opt::ietf_version},
    {"json", 0, false, Opt::json},
    {"quiet", 'q', false, Opt::quiet},
    {"progress", 0, true, Opt::progress},
    {"verbose", 'v', false, Opt::verbose},
    {"version", 0, false, Opt::version},
    {"help", 'h', false, Opt::help},
};

constexpr long max_timeout_seconds = 1000000;  // ~11.5 days
constexpr std::uint64_t max_retries = 100;

const OptDef *find_long(const std::string &name)
{
    for (const OptDef &d : options) {
        if (name == d.long_name) {
            return &d;
        }
    }
    return nullptr;
}

const OptDef *find_short(char c)
{
    for (const OptDef &d : options) {
        if (d.short_name != 0 && d.short_name == c) {
            return &d;
        }
    }
    return nullptr;
}

std::string display_name(const OptDef &d)
{
    return std::string("--") + d.long_name;
}

bool has_ctl(const std::string &s)
{
    for (unsigned char c : s) {
        if (c < 0x20 && c != '\t') {
            return true;
        }
        if (c == 0x7f) {
            return true;
        }
    }
    return false;
}

// Applies one option; false with "error" set on a bad value.
bool apply(const OptDef &d, const std::string &v, Config &c, ArgAction &action,
           std::string &error)
{
    switch (d.id) {
    case Opt::header: {
        // "Name: value", "Name:" (removes a header libcurl would send) or
        // "Name;" (sends it empty), as curl's -H
        std::string::size_type colon = v.find_first_of(":;");
        if (colon == std::string::npos || colon == 0) {
            error = "bad --header '" + v + "': expected 'Name: value'";
            return false;
        }
        if (v[colon] == ';' && colon + 1 != v.size()) {
            error = "bad --header '" + v + "': expected 'Name: value'";
            return false;
        }
        for (std::string::size_type i = 0; i < colon; i++) {
            unsigned char ch = static_cast<unsigned char>(v[i]);
            if (ch <= 0x20 || ch >= 0x7f) {
                error = "bad --header '" + v + "': the name has a space or control character";
                return false;
            }
        }
        if (has_ctl(v)) {
            error = "bad --header: it contains a line break or control character";
            return false;
        }
        c.headers.push_back(v);
        return true;
    }

    case Opt::user:
        if (v.find(':') == std::string::npos || v[0] == ':') {
            error = "bad --user: expected 'user:password'";
            return false;
        }
        if (has_ctl(v)) {
            error = "bad --user: it contains a control character";
            return false;
        }
        c.user = v;
        c.have_user = true;
        return true;

    case Opt::oauth2_bearer:
        if (v.empty() || has_ctl(v) || v.find(' ') != std::string::npos) {
            error = "bad --oauth2-bearer: expected a token without spaces";
            return false;
        }
        c.bearer = v;
        return true;

    case Opt::insecure:
        c.insecure = true;
        return true;

    case Opt::cacert:
        if (v.empty()) {
            error = "bad --cacert: empty file name";
            return false;
        }
        if (access(v.c_str(), R_OK) != 0) {
            error = "cannot read --cacert file '" + v + "': " + std::strerror(errno);
            return false;
        }
        c.cacert = v;
        return true;

    case Opt::http1_1:
        c.http_version = HttpVersion::http1_1;
        return true;

    case Opt::http2:
        c.http_version = HttpVersion::http2;
        return true;

    case Opt::limit_rate: {
        auto r = bigupload::parse_size(v);
        if (!r) {
            error = "bad --limit-rate '" + v
                    + "': expected bytes per second, e.g. 500k, 10M, 1G";
            return false;
        }
        c.limit_rate = *r;
        return true;
    }

    case Opt::connect_timeout:
    case Opt::max_time: {
        long ms;
        if (!parse_seconds_ms(v, max_timeout_seconds, ms)) {
            error = "bad " + display_name(d) + " '" + v
                    + "': expected seconds, e.g. 10 or 2.5";
            return false;
        }
        (d.id == Opt::connect_timeout ? c.connect_timeout_ms : c.max_time_ms) = ms;
        return true;
    }

    case Opt::retries: {
        auto r = bigupload::parse_count(v, 0, max_retries);
        if (!r) {
            error = "bad --retries '" + v + "': expected a number from 0 to "
                    + std::to_string(max_retries);
            return false;
        }
        c.retries = static_cast<unsigned>(*r);
        return true;
    }

    case Opt::overwrite:
        c.overwrite = true;
        return true;

    case Opt::digest:
        if (!parse_digest_choice(v, c.digest)) {
            error = "bad --digest '" + v + "': expected sha256, sha512, crc32c, crc64nvme or none";
            return false;
        }
        return true;

    case Opt::protocol:
        if (!parse_protocol(v, c.protocol)) {
            error = "bad --protocol '" + v + "': expected native, tus, ietf or auto";
            return false;
        }
        return true;

    case Opt::parallel: {
        auto r = bigupload::parse_count(v, 1, max_parallel);
        if (!r) {
            error = "bad --parallel '" + v + "': expected a number from 1 to "
                    + std::to_string(max_parallel);
            return false;
        }
        c.parallel = static_cast<unsigned>(*r);
        return true;
    }

    case Opt::chunk_size: {
        auto r = bigupload::parse_size(v);
        if (!r || *r < min_chunk_size) {
            error = "bad --chunk-size '" + v + "': expected a size of at least 64k, e.g. 64M";
            return false;
        }
        c.chunk_size = *r;
        return true;
    }

    case Opt::restart:
        c.restart = true;
        return true;

    case Opt::ietf_version: {
        auto r = bigupload::parse_count(v, 3, 8);
        if (!r) {
            error = "bad --ietf-version '" + v + "': expected an interop version from 3 to 8";
            return false;
        }
        c.ietf_version = static_cast<int>(*r);
        return true;
    }

    case Opt::status:
        c.status = true;
        return true;

    case Opt::no_resume:
        c.resume = false;
        return true;

    case Opt::json:
        c.json = true;
        return true;

    case Opt::quiet:
        c.quiet = true;
        return true;

    case Opt::progress:
        if (v == "bar") {
            c.progress = ProgressMode::bar;
        } else if (v == "plain") {
            c.progress = ProgressMode::plain;
        } else if (v == "none") {
            c.progress = ProgressMode::none;
        } else {
            error = "bad --progress '" + v + "': expected bar, plain or none";
            return false;
        }
        return true;

    case Opt::verbose:
        c.verbose = true;
        return true;

    case Opt::version:
        action = ArgAction::version;
        return true;

    case Opt::help:
        action = ArgAction::help;
        return true;
    }

    return true;
}

std::string basename_of(const std::string &path)
{
    std::string p = path;
    while (p.size() > 1 && p.back() == '/') {
        p.pop_back();
    }
    std::string::size_type slash = p.rfind('/');
    return slash == std::string::npos ? p : p.substr(slash + 1);
}

}  // namespace

bool parse_seconds_ms(const std::string &s, long max_seconds, long &ms)
{
    std::string::size_type i = 0;
    long whole = 0;
    long frac = 0;
    int frac_digits = 0;

    if (s.empty()) {
        return false;
    }

    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
        whole = whole * 10 + (s[i] - '0');
        if (whole > max_seconds) {
            return false;
        }
        i++;
    }

    bool had_whole = i > 0;

    if (i < s.size() && s[i] == '.') {
        i++;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
            if (frac_digits == 3) {
                return false;  // finer than a millisecond
            }
            frac = frac * 10 + (s[i] - '0');
            frac_digits++;
            i++;
        }
        if (frac_digits == 0) {
            return false;
        }
    } else if (!had_whole) {
        return false;
    }

    if (i != s.size()) {
        return false;
    }

    while (frac_digits < 3) {
        frac *= 10;
        frac_digits++;
    }

    if (whole == max_seconds && frac > 0) {
        return false;
    }

    ms = whole * 1000 + frac;
    return true;
}

bool make_remote_path(const std::string &given, const std::string &file_path,
                      std::string &out, std::string &error)
{
    if (given.empty()) {
        error = "empty <remote_path>: give the destination, e.g. /uploads/file.bin";
        return false;
    }

    std::string p = given[0] == '/' ? given : "/" + given;
    bool named_by_file = false;

    if (p.back() == '/') {
        std::string base = file_path == "-" ? std::string() : basename_of(file_path);
        if (base.empty() || base == "." || base == ".." || base == "/") {
            error = "<remote_path> '" + given + "' ends with '/': give a file name"
                    + (file_path == "-" ? " (standard input has none)" : "");
            return false;
        }
        p += base;
        named_by_file = true;
    }

    std::vector<std::string> segments;
    bigupload::PathError e = bigupload::split_remote_path(p, segments);
    if (e != bigupload::PathError::ok) {
        // the path that would be sent, which holds the file's name when
        // <remote_path> ended in "/"
        error = "bad <remote_path> '" + p + "'"
                + (named_by_file ? " ('" + given + "' and the file's name)" : std::string())
                + ": " + bigupload::path_error_message(e);
        return false;
    }

    out = p;
    return true;
}

int exit_code_for(const ArgResult &r)
{
    return r.action == ArgAction::error ? exit_usage : exit_ok;
}

ArgResult parse_args(int argc, const char *const *argv)
{
    std::vector<std::string> args;
    for (int i = 1; i < argc; i++) {
        args.emplace_back(argv[i]);
    }
    return parse_args(args);
}

ArgResult parse_args(const std::vector<std::string> &args)
{
    ArgResult r;
    Config &c = r.config;
    std::vector<std::string> positionals;
    ArgAction action = ArgAction::run;
    bool options_done = false;

    auto fail = [&r](std::string msg) {
        r.action = ArgAction::error;
        r.error = std::move(msg);
        return r;
    };

    for (std::size_t i = 0; i < args.size(); i++) {
        const std::string &a = args[i];

        if (options_done || a.size() < 2 || a[0] != '-') {
            positionals.push_back(a);
            continue;
        }

        if (a == "--") {
            options_done = true;
            continue;
        }

        std::string error;

        if (a[1] == '-') {
            std::string name = a.substr(2);
            std::string value;
            bool inline_value = false;
            std::string::size_type eq = name.find('=');
            if (eq != std::string::npos) {
                value = name.substr(eq + 1);
                name.resize(eq);
                inline_value = true;
            }

            const OptDef *d = find_long(name);
            if (d == nullptr) {
                return fail("unknown option '--" + name + "' (see bgclient --help)");
            }

            if (d->takes_value) {
                if (!inline_value) {
                    if (i + 1 >= args.size()) {
                        return fail("option " + display_name(*d) + " needs a value");
                    }
                    value = args[++i];
                }
            } else if (inline_value) {
                return fail("option " + display_name(*d) + " takes no value");
            }

            if (!apply(*d, value, c, action, error)) {
                return fail(error);
            }
        } else {
            // one or more short options: "-kv", "-Hname: v", "-H" "name: v"
            for (std::size_t j = 1; j < a.size(); j++) {
                const OptDef *d = find_short(a[j]);
                if (d == nullptr) {
                    return fail(std::string("unknown option '-") + a[j]
                                + "' (see bgclient --help)");
                }

                std::string value;
                if (d->takes_value) {
                    if (j + 1 < a.size()) {
                        value = a.substr(j + 1);
                    } else if (i + 1 < args.size()) {
                        value = args[++i];
                    } else {
                        return fail(std::string("option -") + a[j] + " needs a value");
                    }
                    j = a.size();
                }

                if (!apply(*d, value, c, action, error)) {
                    return fail(error);
                }
            }
        }

        if (action == ArgAction::help || action == ArgAction::version) {
            r.action = action;
            return r;
        }
    }

    if (c.status) {
        if (positionals.size() != 2) {
            return fail(std::string(positionals.size() < 2 ? "missing" : "too many")
                        + " arguments for --status (usage: bgclient --status <url> <remote_path>)");
        }
        if (c.restart || c.parallel > 1 || c.chunk_size > 0 || !c.resume) {
            return fail("--status uploads nothing: it cannot be combined with --restart,"
                        " --parallel, --chunk-size or --no-resume");
        }
        positionals.insert(positionals.begin() + 1, std::string());
    } else {
        if (positionals.size() < 3) {
            static const char *const names[] = {"<url>", "<file_path>", "<remote_path>"};
            std::string missing;
            for (std::size_t k = positionals.size(); k < 3; k++) {
                missing += missing.empty() ? "" : (k == 2 ? " and " : ", ");
                missing += names[k];
            }
            return fail("missing " + missing
                        + " (usage: bgclient [options] <url> <file_path> <remote_path>)");
        }

        if (positionals.size() > 3) {
            return fail("too many arguments, starting at '" + positionals[3]
                        + "' (usage: bgclient [options] <url> <file_path> <remote_path>)");
        }
    }

    if (c.have_user && !c.bearer.empty()) {
        return fail("--user and --oauth2-bearer cannot be used together");
    }

    std::string error;

    if (!normalize_url(positionals[0], c.url, error)) {
        return fail(error);
    }

    c.file_path = positionals[1];
    if (c.file_path.empty() && !c.status) {
        return fail("empty <file_path> (use - for standard input)");
    }
    if (c.file_path == "-" && (c.restart || c.parallel > 1)) {
        return fail(std::string(c.restart ? "--restart" : "--parallel")
                    + " needs a file: standard input is sent as one plain PUT");
    }
    if (!c.resume && (c.restart || c.parallel > 1 || c.chunk_size > 0)) {
        return fail("--no-resume sends one plain PUT: it cannot be combined with --restart,"
                    " --parallel or --chunk-size");
    }

    if (c.ietf_version && c.protocol != Protocol::ietf) {
        return fail("--ietf-version needs --protocol ietf");
    }
    if (c.ietf_version == 0) {
        c.ietf_version = 8;
    }
    if (c.protocol == Protocol::ietf
        && (c.file_path == "-" || c.status || c.restart || c.parallel > 1 || !c.resume))
    {
        return fail("--protocol ietf uploads a file over one connection at a time (the draft"
                    " has no parallel appends): not with standard input, --status, --restart,"
                    " --parallel or --no-resume");
    }
    if (c.protocol == Protocol::tus) {
        // tus uploads are resumable resources named by the server: a file
        // with an upload key, no plain PUT, no native HEAD to report
        if (c.status || c.file_path == "-" || !c.resume) {
            return fail(std::string("--protocol tus cannot be combined with ")
                        + (c.status ? "--status (it reports what the native dialect holds)"
                           : c.file_path == "-" ? "standard input (give a file: tus uploads"
                                                  " are resumed from it)"
                                                : "--no-resume (a tus upload is always resumable)"));
        }
    }

    if (!make_remote_path(positionals[2], c.file_path, c.remote_path, error)) {
        return fail(error);
    }

    c.target_url = bigupload::join_url(c.url, c.remote_path);

    if (c.quiet) {
        c.progress = ProgressMode::none;
    }

    r.action = ArgAction::run;
    return r;
}

}  // namespace bgclient
