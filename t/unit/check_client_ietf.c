/* bgclient --protocol ietf (tool_ietf): the request headers of each interop
 * version, the size of the next append, Upload-Limit, the 104's Location
 * made absolute.  Compiled as C++. */
#include <string>
#include <vector>

#include "tool_ietf.hpp"

/* after the C++ headers: check.h defines macros such as fail() */
#include <check.h>
#include "check_cxx.h"

using namespace bgclient;

namespace {

std::string joined(const std::vector<std::string> &h)
{
    std::string s;
    for (const auto &x : h) {
        s += x + "|";
    }
    return s;
}

}  // namespace

START_TEST(test_headers)
{
    ck_assert_sstr_eq(joined(ietf_request_headers(8, false, 0, true, 100)),
                      "Upload-Draft-Interop-Version: 8|Upload-Complete: ?1|Upload-Length: 100|");
    ck_assert_sstr_eq(joined(ietf_request_headers(8, true, 40, false, 100)),
                      "Upload-Draft-Interop-Version: 8|Upload-Complete: ?0|Upload-Length: 100|"
                      "Upload-Offset: 40|Content-Type: application/partial-upload|");
    /* v5: no Upload-Length, no media type; v3: Upload-Incomplete, inverted */
    ck_assert_sstr_eq(joined(ietf_request_headers(5, true, 40, true, 100)),
                      "Upload-Draft-Interop-Version: 5|Upload-Complete: ?1|Upload-Offset: 40|");
    ck_assert_sstr_eq(joined(ietf_request_headers(3, false, 0, true, 100)),
                      "Upload-Draft-Interop-Version: 3|Upload-Incomplete: ?0|");
    ck_assert_sstr_eq(joined(ietf_request_headers(3, true, 7, false, 100)),
                      "Upload-Draft-Interop-Version: 3|Upload-Incomplete: ?1|Upload-Offset: 7|");
}
END_TEST

START_TEST(test_piece)
{
    ck_assert_int_eq(ietf_piece(1000, 0, std::nullopt), 1000);
    ck_assert_int_eq(ietf_piece(1000, 300, std::nullopt), 300);
    ck_assert_int_eq(ietf_piece(1000, 0, 200), 200);
    ck_assert_int_eq(ietf_piece(1000, 300, 200), 200);
    ck_assert_int_eq(ietf_piece(100, 300, 200), 100);
    ck_assert_int_eq(ietf_piece(1000, 0, 0), 1000);     /* 0: no limit */
}
END_TEST

START_TEST(test_limits)
{
    IetfSession s;
    ietf_take_limits(8, "max-size=1000, max-append-size=100, max-age=60, x=1", s);
    ck_assert(s.max_append && *s.max_append == 100);
    ck_assert(s.max_size && *s.max_size == 1000);

    IetfSession t;
    ietf_take_limits(8, "max-append-size=abc", t);      /* malformed: ignored */
    ck_assert(!t.max_append);
    ietf_take_limits(5, "max-append-size=100", t);      /* no Upload-Limit in v5 */
    ck_assert(!t.max_append);
    ietf_take_limits(6, "max-append-size=100, expires=60", t);
    ck_assert(t.max_append && *t.max_append == 100);
}
END_TEST

START_TEST(test_resolve)
{
    ck_assert_sstr_eq(ietf_resolve("http://h:8083/upload/a.bin", "/upload/.bigupload/ab"),
                      "http://h:8083/upload/.bigupload/ab");
    ck_assert_sstr_eq(ietf_resolve("https://u:p@h/upload/a.bin", "/x"), "https://u:p@h/x");
    ck_assert_sstr_eq(ietf_resolve("http://h/upload/a.bin", "https://other/z"), "https://other/z");
    ck_assert_sstr_eq(ietf_resolve("http://h/upload/a.bin", "rel"), "http://h/upload/rel");
}
END_TEST

Suite *client_ietf_suite(void)
{
    Suite *s = suite_create("client_ietf");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, test_headers);
    tcase_add_test(tc, test_piece);
    tcase_add_test(tc, test_limits);
    tcase_add_test(tc, test_resolve);
    suite_add_tcase(s, tc);

    return s;
}
