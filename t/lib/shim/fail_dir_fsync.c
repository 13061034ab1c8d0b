/*
 * An LD_PRELOAD shim for the tests: fsync() of a directory fails with EIO,
 * as on a storage whose metadata write fails.  Loaded into nginx only (the
 * tests set LD_PRELOAD just for its start).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <sys/stat.h>

int
fsync(int fd)
{
    static int (*real)(int);
    struct stat st;

    if (real == 0) {
        real = (int (*)(int)) dlsym(RTLD_NEXT, "fsync");
    }

    if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        errno = EIO;
        return -1;
    }

    return real(fd);
}
