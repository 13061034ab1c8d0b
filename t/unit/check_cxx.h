/* Helpers for Check suites compiled as C++. */
#ifndef CHECK_CXX_H
#define CHECK_CXX_H

#include <string>

/* ck_assert_str_eq() keeps a char pointer: with a temporary std::string it
 * would dangle.  This one keeps copies. */
#define ck_assert_sstr_eq(X, Y)                                               \
    do {                                                                      \
        const std::string ck_a_ = (X);                                        \
        const std::string ck_b_ = (Y);                                        \
        ck_assert_msg(ck_a_ == ck_b_, "%s == \"%s\", expected \"%s\"", #X,    \
                      ck_a_.c_str(), ck_b_.c_str());                          \
    } while (0)

#endif
