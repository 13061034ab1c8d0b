/* bgclient: option parsing (tool_args), URLs (tool_url), and the size and
 * duration parsing the options use.  Compiled as C++. */
#include <string>
#include <vector>

#include "base/size.hpp"
#include "tool_args.hpp"
#include "tool_exit.hpp"
#include "tool_url.hpp"

/* after the C++ headers: check.h defines macros such as fail() */
#include <check.h>
#include "check_cxx.h"

using namespace bgclient;

namespace {

ArgResult parse(std::vector<std::string> args)
{
    return parse_args(args);
}

// A run with the three positionals appended after the options.
ArgResult parse_opts(std::vector<std::string> opts)
{
    opts.push_back("http://127.0.0.1:8083/upload");
    opts.push_back("/tmp/f.bin");
    opts.push_back("/d/f.bin");
    return parse_args(opts);
}

void expect_usage_error(const std::vector<std::string> &args, const char *needle)
{
    ArgResult r = parse(args);
    std::string joined;
    for (const auto &a : args) {
        joined += "[" + a + "]";
    }
    ck_assert_msg(r.action == ArgAction::error, "accepted: %s", joined.c_str());
    ck_assert_int_eq(exit_code_for(r), 2);
    ck_assert_msg(!r.error.empty(), "no message for %s", joined.c_str());
    ck_assert_msg(r.error.find('\n') == std::string::npos, "multi-line message");
    ck_assert_msg(r.error.find(needle) != std::string::npos,
                  "message for %s is '%s', expected to contain '%s'", joined.c_str(),
                  r.error.c_str(), needle);
}

void expect_opt_error(std::vector<std::string> opts, const char *needle)
{
    opts.push_back("http://127.0.0.1:8083/upload");
    opts.push_back("/tmp/f.bin");
    opts.push_back("/d/f.bin");
    expect_usage_error(opts, needle);
}

}  // namespace

START_TEST(readme_example)
{
    ArgResult r = parse({"http://example.com", "/path/to/example.zip", "/uploads/example.zip"});
    ck_assert(r.action == ArgAction::run);
    ck_assert_int_eq(exit_code_for(r), 0);
    ck_assert_sstr_eq(r.config.url, "http://example.com");
    ck_assert_sstr_eq(r.config.file_path, "/path/to/example.zip");
    ck_assert_sstr_eq(r.config.remote_path, "/uploads/example.zip");
    ck_assert_sstr_eq(r.config.target_url, "http://example.com/uploads/example.zip");
}
END_TEST

START_TEST(defaults)
{
    ArgResult r = parse({"http://h:8083/upload", "f", "x"});
    ck_assert(r.action == ArgAction::run);
    const Config &c = r.config;
    ck_assert_sstr_eq(c.target_url, "http://h:8083/upload/x");
    ck_assert_uint_eq(c.retries, 3);
    ck_assert(!c.overwrite);
    ck_assert(!c.json);
    ck_assert(!c.quiet);
    ck_assert(!c.verbose);
    ck_assert(!c.insecure);
    ck_assert(c.progress == ProgressMode::automatic);
    ck_assert(c.http_version == HttpVersion::automatic);
    ck_assert_uint_eq(c.limit_rate, 0);
    ck_assert_int_eq(c.connect_timeout_ms, 0);
    ck_assert_int_eq(c.max_time_ms, 0);
    ck_assert(c.headers.empty());
    ck_assert(!c.have_user);
    ck_assert(c.bearer.empty());
}
END_TEST

START_TEST(url_and_paths)
{
    /* trailing and leading slashes collapse to one */
    ArgResult r = parse({"http://h/upload/", "f", "/isos/big.iso"});
    ck_assert_sstr_eq(r.config.target_url, "http://h/upload/isos/big.iso");

    /* relative remote path gets its "/" */
    r = parse({"http://h/upload", "f", "a/b.bin"});
    ck_assert_sstr_eq(r.config.remote_path, "/a/b.bin");

    /* characters that need escaping are percent-encoded */
    r = parse({"http://h/up", "f", "/a b/c%d.bin"});
    ck_assert_sstr_eq(r.config.target_url, "http://h/up/a%20b/c%25d.bin");

    /* no scheme: http:// as curl does; the scheme is case-insensitive */
    r = parse({"127.0.0.1:8083/upload", "f", "x"});
    ck_assert_sstr_eq(r.config.target_url, "http://127.0.0.1:8083/upload/x");
    r = parse({"HTTPS://h/up", "f", "x"});
    ck_assert_sstr_eq(r.config.target_url, "https://h/up/x");

    /* a directory destination takes the file's name */
    r = parse({"http://h/up", "/tmp/dir/big.iso", "/isos/"});
    ck_assert(r.action == ArgAction::run);
    ck_assert_sstr_eq(r.config.remote_path, "/isos/big.iso");
    r = parse({"http://h/up", "big.iso", "/"});
    ck_assert_sstr_eq(r.config.remote_path, "/big.iso");

    /* stdin */
    r = parse({"http://h/up", "-", "/from-stdin.bin"});
    ck_assert(r.action == ArgAction::run);
    ck_assert_sstr_eq(r.config.file_path, "-");
}
END_TEST

START_TEST(both_value_forms)
{
    ArgResult a = parse_opts({"--header", "X-A: 1", "--user", "u:p", "--cacert", "/dev/null",
                              "--limit-rate", "10M", "--connect-timeout", "2.5",
                              "--max-time", "60", "--retries", "5", "--progress", "plain"});
    ArgResult b = parse_opts({"--header=X-A: 1", "--user=u:p", "--cacert=/dev/null",
                              "--limit-rate=10M", "--connect-timeout=2.5", "--max-time=60",
                              "--retries=5", "--progress=plain"});
    for (const ArgResult *r : {&a, &b}) {
        ck_assert_msg(r->action == ArgAction::run, "%s", r->error.c_str());
        const Config &c = r->config;
        ck_assert_uint_eq(c.headers.size(), 1);
        ck_assert_sstr_eq(c.headers[0], "X-A: 1");
        ck_assert(c.have_user);
        ck_assert_sstr_eq(c.user, "u:p");
        ck_assert_sstr_eq(c.cacert, "/dev/null");
        ck_assert_uint_eq(c.limit_rate, 10u * 1024 * 1024);
        ck_assert_int_eq(c.connect_timeout_ms, 2500);
        ck_assert_int_eq(c.max_time_ms, 60000);
        ck_assert_uint_eq(c.retries, 5);
        ck_assert(c.progress == ProgressMode::plain);
    }
}
END_TEST

START_TEST(short_options)
{
    ArgResult r = parse_opts({"-H", "X-A: 1", "-HX-B: 2", "-u", "user:pw", "-k", "-v"});
    ck_assert_msg(r.action == ArgAction::run, "%s", r.error.c_str());
    ck_assert_uint_eq(r.config.headers.size(), 2);
    ck_assert_sstr_eq(r.config.headers[1], "X-B: 2");
    ck_assert_sstr_eq(r.config.user, "user:pw");
    ck_assert(r.config.insecure);
    ck_assert(r.config.verbose);

    /* bundled flags, the last one taking a value */
    r = parse_opts({"-kvH", "X-C: 3"});
    ck_assert_msg(r.action == ArgAction::run, "%s", r.error.c_str());
    ck_assert(r.config.insecure && r.config.verbose);
    ck_assert_sstr_eq(r.config.headers[0], "X-C: 3");

    r = parse_opts({"-q"});
    ck_assert(r.config.quiet);
    ck_assert(r.config.progress == ProgressMode::none);
}
END_TEST

START_TEST(flags)
{
    ArgResult r = parse_opts({"--overwrite", "--json", "--insecure", "--verbose", "--quiet"});
    ck_assert(r.action == ArgAction::run);
    ck_assert(r.config.overwrite && r.config.json && r.config.insecure && r.config.verbose
              && r.config.quiet);

    /* -q wins over --progress */
    r = parse_opts({"--progress=bar", "-q"});
    ck_assert(r.config.progress == ProgressMode::none);
    r = parse_opts({"--progress=bar"});
    ck_assert(r.config.progress == ProgressMode::bar);
    r = parse_opts({"--progress=none"});
    ck_assert(r.config.progress == ProgressMode::none);

    /* the last HTTP version wins */
    r = parse_opts({"--http2"});
    ck_assert(r.config.http_version == HttpVersion::http2);
    r = parse_opts({"--http2", "--http1.1"});
    ck_assert(r.config.http_version == HttpVersion::http1_1);

    r = parse_opts({"--oauth2-bearer", "tok.en-123"});
    ck_assert_sstr_eq(r.config.bearer, "tok.en-123");

    /* curl's forms of -H: "Name:" removes, "Name;" sends empty */
    r = parse_opts({"-H", "Expect:", "-H", "X-Empty;"});
    ck_assert_msg(r.action == ArgAction::run, "%s", r.error.c_str());

    /* options after the positionals, and "--" */
    r = parse({"http://h/up", "f", "x", "--overwrite"});
    ck_assert(r.action == ArgAction::run && r.config.overwrite);
    r = parse({"--", "http://h/up", "-", "/x"});
    ck_assert(r.action == ArgAction::run);
    ck_assert_sstr_eq(r.config.file_path, "-");

    r = parse_opts({"--retries", "0"});
    ck_assert_uint_eq(r.config.retries, 0);
    r = parse_opts({"--retries=100"});
    ck_assert_uint_eq(r.config.retries, 100);
    r = parse_opts({"--limit-rate", "0"});
    ck_assert_uint_eq(r.config.limit_rate, 0);
    r = parse_opts({"--limit-rate", "500k"});
    ck_assert_uint_eq(r.config.limit_rate, 500u * 1024);
}
END_TEST

START_TEST(help_and_version)
{
    ArgResult r = parse({"-h"});
    ck_assert(r.action == ArgAction::help);
    ck_assert_int_eq(exit_code_for(r), 0);
    r = parse({"--help"});
    ck_assert(r.action == ArgAction::help);
    r = parse({"http://h", "--help", "f"});
    ck_assert(r.action == ArgAction::help);
    r = parse({"--version"});
    ck_assert(r.action == ArgAction::version);
    ck_assert_int_eq(exit_code_for(r), 0);
}
END_TEST

START_TEST(bad_positionals)
{
    expect_usage_error({}, "missing <url>, <file_path> and <remote_path>");
    expect_usage_error({"http://h/up"}, "missing <file_path> and <remote_path>");
    expect_usage_error({"http://h/up", "f"}, "missing <remote_path>");
    expect_usage_error({"http://h/up", "f", "x", "y"}, "too many arguments");
    expect_usage_error({"ftp://h/up", "f", "x"}, "unsupported URL scheme 'ftp'");
    expect_usage_error({"file:///etc", "f", "x"}, "unsupported URL scheme");
    expect_usage_error({"http://h/up?a=1", "f", "x"}, "query or fragment");
    expect_usage_error({"http://h/up#frag", "f", "x"}, "query or fragment");
    expect_usage_error({"http:///up", "f", "x"}, "no host");
    expect_usage_error({"http://h /up", "f", "x"}, "space");
    expect_usage_error({"", "f", "x"}, "empty URL");
    expect_usage_error({"http://h/up", "", "x"}, "empty <file_path>");
    expect_usage_error({"http://h/up", "f", ""}, "empty <remote_path>");
    expect_usage_error({"http://h/up", "f", "/a/../b"}, "\"..\"");
    expect_usage_error({"http://h/up", "f", "/a/./b"}, "\".\"");
    expect_usage_error({"http://h/up", "f", "/a//b"}, "empty segment");
    expect_usage_error({"http://h/up", "f", "/a\\b"}, "backslash");
    expect_usage_error({"http://h/up", "f", "/.bigupload-x"}, "reserved");
    expect_usage_error({"http://h/up", "-", "/dir/"}, "standard input has none");
    /* the message names the path that would be sent, with the file's name
     * appended to a <remote_path> ending in "/" (issue 17.7) */
    expect_usage_error({"http://h/up", "/tmp/.bigupload-x", "/w/"},
                       "bad <remote_path> '/w/.bigupload-x' ('/w/' and the file's name): path uses"
                       " the reserved \".bigupload\" prefix");
    expect_usage_error({"http://h/up", "f", "w/.bigupload-x"},
                       "bad <remote_path> '/w/.bigupload-x': path uses the reserved");
    expect_usage_error({"http://h/up", "../..", "/w/"}, "give a file name");
    expect_usage_error({"http://h/up", "..", "/dir/"}, "give a file name");
}
END_TEST

START_TEST(bad_options)
{
    expect_opt_error({"--nope"}, "unknown option '--nope'");
    expect_opt_error({"-x"}, "unknown option '-x'");
    expect_opt_error({"-kx"}, "unknown option '-x'");
    expect_usage_error({"http://h/up", "f", "x", "--header"}, "--header needs a value");
    expect_usage_error({"http://h/up", "f", "x", "-H"}, "-H needs a value");
    expect_usage_error({"http://h/up", "f", "x", "--retries"}, "--retries needs a value");
    expect_opt_error({"--overwrite=yes"}, "--overwrite takes no value");
    expect_opt_error({"--json=1"}, "--json takes no value");

    expect_opt_error({"-H", "NoColon"}, "bad --header");
    expect_opt_error({"-H", ": value"}, "bad --header");
    expect_opt_error({"-H", "Na me: v"}, "bad --header");
    expect_opt_error({"-H", "X-A: a\r\nX-B: b"}, "line break");
    expect_opt_error({"-H", "X;y"}, "bad --header");

    expect_opt_error({"-u", "nocolon"}, "bad --user");
    expect_opt_error({"--user=:pw"}, "bad --user");
    expect_opt_error({"--oauth2-bearer="}, "bad --oauth2-bearer");
    expect_opt_error({"--oauth2-bearer", "a b"}, "bad --oauth2-bearer");
    expect_opt_error({"-u", "a:b", "--oauth2-bearer", "t"}, "cannot be used together");
    expect_opt_error({"--cacert", "/nonexistent/ca.pem"}, "cannot read --cacert file");
    expect_opt_error({"--cacert="}, "bad --cacert");

    for (const char *v : {"fast", "-1", "10X", "", "1.5M", "10 M", "99999999999T"}) {
        expect_opt_error({"--limit-rate", v}, "bad --limit-rate");
    }
    for (const char *v : {"abc", "-1", "1.2345", "1e3", "", ".", "5s", "1000001", "+3"}) {
        expect_opt_error({"--connect-timeout", v}, "bad --connect-timeout");
        expect_opt_error({std::string("--max-time=") + v}, "bad --max-time");
    }
    for (const char *v : {"-1", "101", "x", "3.5", ""}) {
        expect_opt_error({"--retries", v}, "bad --retries");
    }
    for (const char *v : {"fancy", "", "BAR"}) {
        expect_opt_error({std::string("--progress=") + v}, "bad --progress");
    }
}
END_TEST

START_TEST(seconds)
{
    long ms = -1;
    ck_assert(parse_seconds_ms("10", 1000, ms));
    ck_assert_int_eq(ms, 10000);
    ck_assert(parse_seconds_ms("2.5", 1000, ms));
    ck_assert_int_eq(ms, 2500);
    ck_assert(parse_seconds_ms("0.001", 1000, ms));
    ck_assert_int_eq(ms, 1);
    ck_assert(parse_seconds_ms(".5", 1000, ms));
    ck_assert_int_eq(ms, 500);
    ck_assert(parse_seconds_ms("0", 1000, ms));
    ck_assert_int_eq(ms, 0);
    ck_assert(parse_seconds_ms("1000", 1000, ms));
    ck_assert_int_eq(ms, 1000000);
    ck_assert(!parse_seconds_ms("1000.1", 1000, ms));
    ck_assert(!parse_seconds_ms("1001", 1000, ms));
    ck_assert(!parse_seconds_ms("1.", 1000, ms));
    ck_assert(!parse_seconds_ms("1.0001", 1000, ms));
    ck_assert(!parse_seconds_ms("", 1000, ms));
    ck_assert(!parse_seconds_ms("99999999999999999999", 1000, ms));
}
END_TEST

START_TEST(sizes_via_core)
{
    /* --limit-rate and the meter use the core's parse_size/format_size */
    ck_assert_uint_eq(*bigupload::parse_size("256k"), 256u * 1024);
    ck_assert_uint_eq(*bigupload::parse_size("4G"), 4ull << 30);
    ck_assert_uint_eq(*bigupload::parse_size("10MiB"), 10u << 20);
    ck_assert_uint_eq(*bigupload::parse_size("1T"), 1ull << 40);
    ck_assert_uint_eq(*bigupload::parse_size("123"), 123);
    ck_assert(!bigupload::parse_size("1.5G"));
    ck_assert(!bigupload::parse_size("G"));
    ck_assert(!bigupload::parse_size("-5k"));
    ck_assert(!bigupload::parse_size("9999999999999T"));

    ck_assert_sstr_eq(bigupload::format_size(0), "0 B");
    ck_assert_sstr_eq(bigupload::format_size(1023), "1023 B");
    ck_assert_sstr_eq(bigupload::format_size(1024), "1.00 KiB");
    ck_assert_sstr_eq(bigupload::format_size(5ull << 40), "5.00 TiB");
    ck_assert_sstr_eq(bigupload::format_rate(12.5 * 1024 * 1024), "12.5 MiB/s");
    ck_assert_sstr_eq(bigupload::format_rate(-1), "-");
}
END_TEST

START_TEST(redaction)
{
    ck_assert_sstr_eq(redact_url("http://u:secret@h/x"), "http://u:***@h/x");
    ck_assert_sstr_eq(redact_url("http://u@h/x"), "http://u@h/x");
    ck_assert_sstr_eq(redact_url("http://h/x@y"), "http://h/x@y");
    ck_assert_sstr_eq(redact_url("https://h:8443/up"), "https://h:8443/up");
    ck_assert_sstr_eq(redact_url("http://u:p@ss@h"), "http://u:***@h");

    std::string out, err;
    ck_assert(normalize_url("http://u:pw@h/up", out, err));
    ck_assert_sstr_eq(out, "http://u:pw@h/up");
    ck_assert(!normalize_url("http://u:pw@/up", out, err));
    ck_assert_msg(err.find("pw") == std::string::npos, "password in message: %s", err.c_str());
}
END_TEST

Suite *client_args_suite(void);

Suite *client_args_suite(void)
{
    Suite *s = suite_create("client_args");
    TCase *tc = tcase_create("args");
    tcase_add_test(tc, readme_example);
    tcase_add_test(tc, defaults);
    tcase_add_test(tc, url_and_paths);
    tcase_add_test(tc, both_value_forms);
    tcase_add_test(tc, short_options);
    tcase_add_test(tc, flags);
    tcase_add_test(tc, help_and_version);
    tcase_add_test(tc, bad_positionals);
    tcase_add_test(tc, bad_options);
    tcase_add_test(tc, seconds);
    tcase_add_test(tc, sizes_via_core);
    tcase_add_test(tc, redaction);
    suite_add_tcase(s, tc);
    return s;
}
