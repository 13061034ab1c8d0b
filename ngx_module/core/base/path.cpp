#include "base/path.hpp"

#include <climits>

namespace bigupload {

namespace {

int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

bool unreserved(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
           || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_'
           || c == '~';
}

}  // namespace

const char *path_error_code(PathError e)
{
    switch (e) {
    case PathError::ok: return "ok";
    case PathError::bad_escape: return "bad_path";
    case PathError::nul: return "bad_path";
    case PathError::backslash: return "bad_path";
    case PathError::dot_segment: return "bad_path";
    case PathError::empty_segment: return "bad_path";
    case PathError::reserved: return "bad_path";
    case PathError::not_absolute: return "bad_path";
    case PathError::collection: return "is_collection";
    case PathError::too_long: return "path_too_long";
    }
    return "bad_path";
}

const char *path_error_message(PathError e)
{
    switch (e) {
    case PathError::ok: return "ok";
    case PathError::bad_escape: return "invalid percent-escape in path";
    case PathError::nul: return "path contains a NUL byte";
    case PathError::backslash: return "path contains a backslash";
    case PathError::dot_segment: return "path contains a \".\" or \"..\" segment";
    case PathError::empty_segment: return "path contains an empty segment";
    case PathError::reserved: return "path uses the reserved \".bigupload\" prefix";
    case PathError::not_absolute: return "path must start with \"/\"";
    case PathError::collection: return "cannot upload to a directory (path ends with \"/\")";
    case PathError::too_long: return "path or file name too long";
    }
    return "bad path";
}

PathError percent_decode(std::string_view in, std::string &out)
{
    out.clear();
    out.reserve(in.size());

    for (std::size_t i = 0; i < in.size(); i++) {
        char c = in[i];

        if (c == '%') {
            if (i + 2 >= in.size()) {
                return PathError::bad_escape;
            }
            int hi = hexval(in[i + 1]);
            int lo = hexval(in[i + 2]);
            if (hi < 0 || lo < 0) {
                return PathError::bad_escape;
            }
            c = static_cast<char>(hi * 16 + lo);
            i += 2;
        }

        if (c == '\0') {
            return PathError::nul;
        }

        out.push_back(c);
    }

    return PathError::ok;
}

namespace {

PathError split_into(std::string_view p, std::vector<std::string> &segments)
{
    segments.clear();

    if (p.empty() || p[0] != '/') {
        return p.empty() ? PathError::empty_segment : PathError::not_absolute;
    }

    if (p.size() >= PATH_MAX) {
        return PathError::too_long;
    }

    for (char c : p) {
        if (c == '\0') return PathError::nul;
        if (c == '\\') return PathError::backslash;
    }

    if (p.back() == '/') {
        // "/dir/": a collection, unless the inner part is bad in itself
        // ("/../" is a bad path, "/a//" has an empty segment).  The inner
        // part is what precedes the trailing slashes, split once: peeling
        // one slash at a time made a path of n slashes cost n scans of it
        // (a 3 KB one took 150 ms in the fuzzer's build; found by fuzz_path)
        if (p.size() == 1) {
            return PathError::collection;
        }
        std::size_t last = p.find_last_not_of('/');
        if (last == std::string_view::npos) {
            return PathError::empty_segment;              // "//", "///"
        }
        std::vector<std::string> ignored;
        PathError e = split_into(p.substr(0, last + 1), ignored);
        if (e != PathError::ok) {
            return e;
        }
        return last + 2 == p.size() ? PathError::collection : PathError::empty_segment;
    }

    std::size_t start = 1;

    while (start <= p.size()) {
        std::size_t end = p.find('/', start);
        if (end == std::string_view::npos) {
            end = p.size();
        }

        std::string_view seg = p.substr(start, end - start);

        if (seg.empty()) {
            return PathError::empty_segment;
        }
        if (seg == "." || seg == "..") {
            return PathError::dot_segment;
        }
        if (seg.size() > NAME_MAX) {
            return PathError::too_long;
        }
        if (seg.substr(0, temp_prefix.size()) == temp_prefix) {
            return PathError::reserved;
        }

        segments.emplace_back(seg);
        start = end + 1;
    }

    return PathError::ok;
}

}  // namespace

PathError split_remote_path(std::string_view p, std::vector<std::string> &segments)
{
    PathError e = split_into(p, segments);
    if (e != PathError::ok) {
        segments.clear();  // nothing half-split on an error ("/a//b" left "a")
    }
    return e;
}

PathError parse_remote_path(std::string_view raw, std::vector<std::string> &segments)
{
    std::string decoded;
    PathError e = percent_decode(raw, decoded);

    if (e != PathError::ok) {
        segments.clear();
        return e;
    }

    return split_remote_path(decoded, segments);
}

std::string percent_encode_path(std::string_view path)
{
    static const char hexdigits[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(path.size());

    for (unsigned char c : path) {
        if (unreserved(c) || c == '/') {
            out.push_back(static_cast<char>(c));
        } else {
            out.push_back('%');
            out.push_back(hexdigits[c >> 4]);
            out.push_back(hexdigits[c & 0x0f]);
        }
    }

    return out;
}

std::string join_url(std::string_view base, std::string_view remote_path)
{
    while (!base.empty() && base.back() == '/') {
        base.remove_suffix(1);
    }
    while (!remote_path.empty() && remote_path.front() == '/') {
        remote_path.remove_prefix(1);
    }

    std::string url(base);
    url.push_back('/');
    url.append(percent_encode_path(remote_path));
    return url;
}

}  // namespace bigupload
