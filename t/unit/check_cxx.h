/* Helpers for Check suites compiled as C++. */
#ifndef CHECK_CXX_H
#define CHECK_CXX_H

/* included after check.h, whose fail() macro breaks the iostream headers */
#pragma push_macro("fail")
#undef fail
#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#pragma pop_macro("fail")

/* ck_assert_str_eq() keeps a char pointer: with a temporary std::string it
 * would dangle.  This one keeps copies. */
#define ck_assert_sstr_eq(X, Y)                                               \
    do {                                                                      \
        const std::string ck_a_ = (X);                                        \
        const std::string ck_b_ = (Y);                                        \
        ck_assert_msg(ck_a_ == ck_b_, "%s == \"%s\", expected \"%s\"", #X,    \
                      ck_a_.c_str(), ck_b_.c_str());                          \
    } while (0)

/* A fresh directory under /tmp for a filesystem test, and its removal. */
static inline std::string ck_make_temp_dir(const char *name)
{
    std::string tmpl = std::string("/tmp/") + name + ".XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(&tmpl[0]));
    return tmpl;
}

static inline void ck_remove_tree(const std::string &dir)
{
    std::string cmd = "rm -rf '" + dir + "'";
    ck_assert_int_eq(system(cmd.c_str()), 0);
}

/* A whole file's bytes ("" when it cannot be read). */
static inline std::string ck_slurp(const std::string &path)
{
    std::ifstream f(path, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

/* A pipe holding "n" bytes of "data" (n up to 1 MiB), as the zero-copy body
 * path hands them to an upload; closed with the object. */
struct CkPipe {
    int fd[2];
    CkPipe(const char *data, std::size_t n)
    {
        ck_assert_int_eq(pipe2(fd, O_CLOEXEC), 0);
        ck_assert(fcntl(fd[1], F_SETPIPE_SZ, 1 << 20) >= (int) n);
        ck_assert(write(fd[1], data, n) == static_cast<ssize_t>(n));
    }
    ~CkPipe() { close(fd[0]); close(fd[1]); }
    int out() const { return fd[0]; }
};

/* A temporary file holding "content", removed with the object. */
struct CkTempFile {
    std::string path;
    explicit CkTempFile(const std::string &content)
    {
        char tmpl[] = "/tmp/bigupload-check-XXXXXX";
        int fd = mkstemp(tmpl);
        ck_assert(fd >= 0);
        path = tmpl;
        ck_assert(write(fd, content.data(), content.size())
                  == static_cast<ssize_t>(content.size()));
        close(fd);
    }
    ~CkTempFile() { unlink(path.c_str()); }
};

/* n deterministic pseudo-random bytes */
static inline std::string ck_pattern(std::size_t n, std::uint32_t seed = 12345)
{
    std::string s(n, '\0');
    std::uint32_t x = seed;
    for (std::size_t i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        s[i] = static_cast<char>(x >> 24);
    }
    return s;
}

#endif
