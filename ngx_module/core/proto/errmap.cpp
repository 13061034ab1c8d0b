#include "proto/errmap.hpp"

#include <cerrno>

namespace bigupload {

ErrnoStatus status_for_errno(int err)
{
    switch (err) {
    case ENOSPC:
        return {507, "no_space", "no space left on the storage device", false};
    case EDQUOT:
        return {507, "quota_exceeded", "disk quota exceeded", false};
    case EFBIG:
        return {413, "file_too_large", "file too large for the storage", false};
    case EACCES:
    case EPERM:
        return {403, "forbidden", "permission denied by the storage", false};
    case EROFS:
        return {403, "read_only", "the storage is read-only", false};
    case EEXIST:
        return {409, "exists", "target already exists", true};
    case ENOENT:
        return {409, "no_parent", "a parent directory does not exist", true};
    case ENOTDIR:
        return {409, "not_a_directory", "a path component is not a directory", true};
    case EISDIR:
        return {409, "is_directory", "target is a directory", true};
    case ELOOP:
        return {403, "symlink", "path leads through a symbolic link", true};
    case ENAMETOOLONG:
        return {414, "path_too_long", "path or file name too long", true};
    case EXDEV:
        return {500, "cross_device", "temp file and target are on different filesystems", false};
    default:
        return {500, "io_error", "storage error", false};
    }
}

}  // namespace bigupload
