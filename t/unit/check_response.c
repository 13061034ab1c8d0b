/* JSON bodies of the module's answers. */
#include <nlohmann/json.hpp>

#include "report/response.hpp"

/* after the C++ headers: check.h defines macros such as fail() */
#include <check.h>
#include "check_cxx.h"

START_TEST(test_success)
{
    std::string s = bigupload::success_json("/a/b.bin", 5368709120ULL,
                                            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");

    ck_assert_sstr_eq(s.c_str(),
        "{\"path\":\"/a/b.bin\",\"size\":5368709120,"
        "\"sha256\":\"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\"}\n");
}
END_TEST

START_TEST(test_error_escapes)
{
    std::string s = bigupload::error_json("bad_path", "path \"x\"\n\\ \x01");
    auto j = nlohmann::json::parse(s);

    ck_assert_sstr_eq(j["error"].get<std::string>().c_str(), "bad_path");
    ck_assert_sstr_eq(j["message"].get<std::string>().c_str(), "path \"x\"\n\\ \x01");
}
END_TEST

START_TEST(test_invalid_utf8_path)
{
    /* a path is bytes: invalid UTF-8 must not throw, and stays valid JSON */
    std::string s = bigupload::success_json("/\xff\xfe.bin", 1, "00");
    auto j = nlohmann::json::parse(s);

    ck_assert_int_eq(j["size"].get<int>(), 1);
}
END_TEST

Suite *response_suite(void)
{
    Suite *s = suite_create("response");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, test_success);
    tcase_add_test(tc, test_error_escapes);
    tcase_add_test(tc, test_invalid_utf8_path);
    suite_add_tcase(s, tc);

    return s;
}
