/* The one errors table: errno and outcomes to errors, statuses, codes, log lines. */
#include <cerrno>
#include <set>
#include <string>

#include "proto/errors.hpp"
#include "report/status.hpp"

/* after the C++ headers: check.h defines macros such as fail() */
#include <check.h>
#include "check_cxx.h"

using namespace bigupload;

/* moved from check_errmap.c with the errno map */
START_TEST(test_map)
{
    struct { int err; int status; bool client; } cases[] = {
        { ENOSPC, 507, false }, { EDQUOT, 507, false }, { EACCES, 403, false },
        { EPERM, 403, false }, { EROFS, 403, false }, { EEXIST, 409, true },
        { ENOENT, 409, true }, { ENOTDIR, 409, true }, { EISDIR, 409, true },
        { ELOOP, 403, true }, { ENAMETOOLONG, 414, true }, { EFBIG, 413, false },
        { EIO, 500, false }, { EXDEV, 500, false }, { 0, 500, false },
    };

    for (const auto &c : cases) {
        const ErrorInfo &es = error_info(error_for_errno(c.err));
        ck_assert_msg(es.status == c.status, "errno %d -> %d", c.err, es.status);
        /* a client fault is logged at error, the system's at crit */
        ck_assert_msg((es.level == LogLevel::error) == c.client, "errno %d client fault", c.err);
        ck_assert_msg(c.client || es.level == LogLevel::crit, "errno %d at crit", c.err);
        ck_assert_ptr_nonnull(es.code);
        ck_assert_ptr_nonnull(es.message);
    }

    ck_assert_sstr_eq(error_info(error_for_errno(ENOSPC)).code, "no_space");
    ck_assert_sstr_eq(error_info(error_for_errno(EACCES)).code, "forbidden");
}
END_TEST

START_TEST(test_table_is_whole)
{
    std::size_t n;
    const ErrorInfo *t = error_table(n);
    std::set<std::string> reasons(failure_reasons, failure_reasons + failure_reason_count);

    ck_assert_int_gt(n, 40);
    for (std::size_t i = 0; i < n; i++) {
        /* in the enum's order: error_info() finds each */
        ck_assert(&error_info(t[i].error) == &t[i]);
        if (t[i].error == Error::none) {
            continue;
        }
        ck_assert_msg(t[i].status >= 400 && t[i].status <= 599, "%s", t[i].code);
        ck_assert_msg(*t[i].code && *t[i].message, "entry %zu", i);
        /* every code is counted by its name, none lumped into "other" */
        ck_assert_msg(reasons.count(t[i].code), "%s not in failure_reasons", t[i].code);
        /* logged errors have a line, unlogged ones none */
        ck_assert((t[i].level == LogLevel::none) == (*t[i].log == '\0'));
        /* and every placeholder of the line is one the table knows */
        ErrorArgs a;
        (void) error_log_line(t[i].error, a);
    }
}
END_TEST

START_TEST(test_outcomes)
{
    ck_assert(error_for_outcome(Outcome::ok) == Error::none);
    ck_assert(error_for_outcome(Outcome::created) == Error::none);
    ck_assert(error_for_outcome(Outcome::incomplete) == Error::none);
    ck_assert(error_for_outcome(Outcome::completed_elsewhere) == Error::none);
    ck_assert_int_eq(error_info(error_for_outcome(Outcome::key_mismatch)).status, 409);
    ck_assert_int_eq(error_info(error_for_outcome(Outcome::precondition_failed)).status, 412);
    ck_assert_int_eq(error_info(error_for_outcome(Outcome::beyond_length)).status, 416);
    ck_assert_int_eq(error_info(error_for_outcome(Outcome::not_found)).status, 404);
    ck_assert_int_eq(error_info(error_for_outcome(Outcome::corrupt)).status, 500);
    ck_assert(error_info(error_for_outcome(Outcome::corrupt)).level == LogLevel::crit);
    ck_assert_int_eq(error_info(error_for_outcome(Outcome::body_length_mismatch)).status, 400);
    /* a file that appeared meanwhile and one that was there: same answer,
     * other log lines */
    ck_assert_sstr_eq(error_info(Error::appeared).code, error_info(Error::exists).code);
    ck_assert(std::string(error_info(Error::appeared).log) != error_info(Error::exists).log);
}
END_TEST

START_TEST(test_log_lines)
{
    ErrorArgs a;
    a.path = "/srv/x.bin";
    ck_assert_sstr_eq(error_log_line(Error::exists, a),
                      "\"/srv/x.bin\" exists and bigupload_overwrite is off");

    a.path = "/big.bin";
    a.bytes = 2097152;
    a.limit = 1048576;
    ck_assert_sstr_eq(error_log_line(Error::too_large, a),
                      "upload of \"/big.bin\" is 2097152 bytes, more than "
                      "bigupload_max_size 1048576");

    ErrorArgs f;
    f.op = "pwrite";
    f.file = "/s/.bigupload-1";
    ck_assert_sstr_eq(error_log_line(Error::no_space, f), "pwrite \"/s/.bigupload-1\" failed");

    ErrorArgs h;
    h.header = "Content-Range";
    h.path = "/x";
    ck_assert_sstr_eq(error_log_line(Error::needs_upload_key, h),
                      "Content-Range without Upload-Key for \"/x\": refused, not stored "
                      "as a whole file");

    /* a path with a newline ("%0A") cannot forge a log line of its own, nor a
       backslash an escape (found by fuzz_errors) */
    ErrorArgs n;
    n.path = "/a\n2024/01/01 00:00:00 [crit] forged\\x.bin\x7f";
    ck_assert_sstr_eq(error_log_line(Error::exists, n),
                      "\"/a\\x0a2024/01/01 00:00:00 [crit] forged\\x5cx.bin\\x7f\" exists and "
                      "bigupload_overwrite is off");
    ErrorArgs v;
    v.header = "Upload-Offset";
    v.value = std::string_view("1\r\0", 3);
    v.detail = "tab\there";
    ck_assert_sstr_eq(error_log_line(Error::bad_upload_header, v),
                      "bad Upload-Offset \"1\\x0d\\x00\": tab\\x09here");

    ck_assert_sstr_eq(error_message(Error::exists), "target already exists");
    ck_assert_sstr_eq(error_message(Error::bad_path, "path contains a backslash"),
                      "path contains a backslash");
}
END_TEST

START_TEST(test_parsers_errors)
{
    ck_assert(error_for_path(PathError::ok) == Error::none);
    ck_assert(error_for_path(PathError::dot_segment) == Error::bad_path);
    ck_assert(error_for_path(PathError::collection) == Error::is_collection);
    ck_assert(error_for_path(PathError::too_long) == Error::path_too_long);
    ck_assert(error_for_content_range(ContentRangeError::syntax) == Error::bad_content_range);
    ck_assert(error_for_content_range(ContentRangeError::beyond_total)
              == Error::range_not_satisfiable);
    ck_assert_int_eq(error_info(Error::range_not_satisfiable).status, 416);
}
END_TEST

Suite *errors_suite(void)
{
    Suite *s = suite_create("errors");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, test_map);
    tcase_add_test(tc, test_table_is_whole);
    tcase_add_test(tc, test_outcomes);
    tcase_add_test(tc, test_log_lines);
    tcase_add_test(tc, test_parsers_errors);
    suite_add_tcase(s, tc);

    return s;
}
