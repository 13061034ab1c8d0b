/* The one errno -> HTTP status map. */
#include <cerrno>

#include "proto/errmap.hpp"

/* after the C++ headers: check.h defines macros such as fail() */
#include <check.h>
#include "check_cxx.h"

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
        bigupload::ErrnoStatus es = bigupload::status_for_errno(c.err);
        ck_assert_msg(es.status == c.status, "errno %d -> %d", c.err, es.status);
        ck_assert_msg(es.client_fault == c.client, "errno %d client fault", c.err);
        ck_assert_ptr_nonnull(es.code);
        ck_assert_ptr_nonnull(es.message);
    }

    ck_assert_sstr_eq(bigupload::status_for_errno(ENOSPC).code, "no_space");
    ck_assert_sstr_eq(bigupload::status_for_errno(EACCES).code, "forbidden");
}
END_TEST

Suite *errmap_suite(void)
{
    Suite *s = suite_create("errmap");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, test_map);
    suite_add_tcase(s, tc);

    return s;
}
