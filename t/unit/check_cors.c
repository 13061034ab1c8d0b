/* CORS: which origins, the preflight, the headers of an answer. */
#include <string>
#include <vector>

#include "proto/cors.hpp"

/* after the C++ headers: check.h defines macros such as fail() */
#include <check.h>
#include "check_cxx.h"

using namespace bigupload;

static std::string value(const std::vector<HeaderField> &h, const char *name)
{
    for (const auto &f : h) {
        if (f.first == name) {
            return f.second;
        }
    }
    return "<none>";
}

START_TEST(test_origins)
{
    for (const char *o : {"*", "null", "https://app.example.com", "http://127.0.0.1:8080",
                          "http://[::1]:3000", "app+x://a"}) {
        ck_assert_msg(valid_cors_origin(o), "%s", o);
    }
    for (const char *o : {"", "app.example.com", "https://app.example.com/",
                          "https://app.example.com/path", "https://", "HTTPS://a",
                          "https://A.example", "https://a:", "://a", "https://a b",
                          "https://a?x", "1http://a"}) {
        ck_assert_msg(!valid_cors_origin(o), "%s", o);
    }
}
END_TEST

START_TEST(test_answers)
{
    CorsPolicy p;
    p.origins = {"https://app.example.com", "http://localhost:3000"};

    /* nothing for another origin, or none */
    ck_assert(cors_headers(p, "https://evil.example").empty());
    ck_assert(cors_headers(p, "").empty());
    ck_assert(cors_headers(CorsPolicy(), "https://app.example.com").empty());

    std::vector<HeaderField> h = cors_headers(p, "http://localhost:3000");
    ck_assert_uint_eq(h.size(), 3);
    ck_assert_sstr_eq(value(h, "Access-Control-Allow-Origin"), "http://localhost:3000");
    ck_assert_sstr_eq(value(h, "Vary"), "Origin");
    std::string exposed = value(h, "Access-Control-Expose-Headers");
    for (const char *n : {"Location", "Upload-Offset", "Upload-Length", "Upload-Expires",
                          "Tus-Resumable", "Tus-Version", "Tus-Extension", "Tus-Max-Size",
                          "Tus-Checksum-Algorithm", "Repr-Digest"}) {
        ck_assert_msg(exposed.find(n) != std::string::npos, "%s", n);
    }
    ck_assert_sstr_eq(value(h, "Access-Control-Allow-Credentials"), "<none>");

    /* any origin: "*", unless credentials, which need the origin itself */
    p.origins = {"*"};
    h = cors_headers(p, "https://x.example");
    ck_assert_sstr_eq(value(h, "Access-Control-Allow-Origin"), "*");
    ck_assert_sstr_eq(value(h, "Vary"), "<none>");
    p.credentials = true;
    h = cors_headers(p, "https://x.example");
    ck_assert_sstr_eq(value(h, "Access-Control-Allow-Origin"), "https://x.example");
    ck_assert_sstr_eq(value(h, "Access-Control-Allow-Credentials"), "true");
    ck_assert_sstr_eq(value(h, "Vary"), "Origin");
}
END_TEST

START_TEST(test_preflight)
{
    HttpRequest r;
    r.method = "OPTIONS";
    r.fields = {{"Origin", "https://a.example"}, {"Access-Control-Request-Method", "PATCH"}};
    ck_assert(is_cors_preflight(r));
    r.fields.pop_back();
    ck_assert(!is_cors_preflight(r));
    r.method = "POST";
    r.fields.emplace_back("Access-Control-Request-Method", "PATCH");
    ck_assert(!is_cors_preflight(r));

    CorsPolicy p;
    p.origins = {"https://a.example"};
    p.max_age = 3600;

    std::vector<HeaderField> h = cors_preflight_headers(
        p, "https://a.example", "PATCH",
        "tus-resumable,upload-offset, content-type ,\tx-request-id");
    ck_assert_sstr_eq(value(h, "Access-Control-Allow-Origin"), "https://a.example");
    ck_assert_sstr_eq(value(h, "Access-Control-Allow-Methods"),
                      "POST, PUT, PATCH, HEAD, DELETE, OPTIONS");
    ck_assert_sstr_eq(value(h, "Access-Control-Allow-Headers"),
                      "tus-resumable, upload-offset, content-type, x-request-id");
    ck_assert_sstr_eq(value(h, "Access-Control-Max-Age"), "3600");
    ck_assert_sstr_eq(value(h, "Access-Control-Expose-Headers"), "<none>");

    /* no headers asked for: none allowed, the rest as before */
    h = cors_preflight_headers(p, "https://a.example", "DELETE", "");
    ck_assert_sstr_eq(value(h, "Access-Control-Allow-Headers"), "<none>");
    ck_assert_sstr_eq(value(h, "Access-Control-Allow-Methods"),
                      "POST, PUT, PATCH, HEAD, DELETE, OPTIONS");

    /* refused: another origin, a method not served, malformed names */
    ck_assert(cors_preflight_headers(p, "https://b.example", "PATCH", "").empty());
    ck_assert(cors_preflight_headers(p, "https://a.example", "GET", "").empty());
    ck_assert(cors_preflight_headers(p, "https://a.example", "patch", "").empty());
    ck_assert(cors_preflight_headers(p, "https://a.example", "PATCH", "a b").empty());
    ck_assert(cors_preflight_headers(p, "https://a.example", "PATCH", "a,").empty());
    ck_assert(cors_preflight_headers(p, "https://a.example", "PATCH", ",a").empty());
    ck_assert(cors_preflight_headers(p, "https://a.example", "PATCH", "a\r\nb").empty());

    p.max_age = 0;
    h = cors_preflight_headers(p, "https://a.example", "POST", "");
    ck_assert_sstr_eq(value(h, "Access-Control-Max-Age"), "<none>");
}
END_TEST

Suite *cors_suite(void)
{
    Suite *s = suite_create("cors");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_origins);
    tcase_add_test(tc, test_answers);
    tcase_add_test(tc, test_preflight);
    suite_add_tcase(s, tc);
    return s;
}
