#include "tool_tus_state.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/digest.hpp"
#include "base/path.hpp"

namespace bgclient {
namespace tus {

namespace {

constexpr const char *version_line = "bgclient-tus-state 1";

bool clean_value(const std::string &v)
{
    if (v.empty()) {
        return false;
    }
    for (unsigned char c : v) {
        if (c <= 0x20 || c == 0x7f) {
            return false;
        }
    }
    return true;
}

bool parse_u64(const std::string &s, std::uint64_t &out)
{
    if (s.empty() || s.size() > 19) {
        return false;
    }
    std::uint64_t v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') {
            return false;
        }
        v = v * 10 + static_cast<std::uint64_t>(c - '0');
    }
    out = v;
    return true;
}

// mkdir -p with mode 0700 for what it creates.
bool make_dirs(const std::string &dir, std::string &error)
{
    std::string cur;
    std::size_t pos = 0;
    while (pos != std::string::npos) {
        std::size_t slash = dir.find('/', pos + 1);
        cur = dir.substr(0, slash);
        pos = slash;
        if (cur.empty()) {
            continue;
        }
        if (mkdir(cur.c_str(), 0700) != 0 && errno != EEXIST) {
            error = "cannot create " + cur + ": " + std::strerror(errno);
            return false;
        }
    }
    return true;
}

}  // namespace

std::string state_dir(const char *xdg_state_home, const char *home)
{
    if (xdg_state_home != nullptr && xdg_state_home[0] == '/') {
        return std::string(xdg_state_home) + "/bgclient";
    }
    if (home != nullptr && home[0] == '/') {
        std::string h = home;
        while (h.size() > 1 && h.back() == '/') {
            h.pop_back();
        }
        return (h == "/" ? std::string() : h) + "/.local/state/bgclient";
    }
    return "";
}

std::string entry_file_name(const std::string &endpoint, const std::string &name,
                            const std::string &key)
{
    std::string material = "bgclient-tus-entry-v1\n" + endpoint + "\n" + name + "\n" + key + "\n";
    return "tus-" + bigupload::sha256_hex(material.data(), material.size()).substr(0, 32);
}

std::string format_entry(const Entry &e)
{
    std::string t = std::string(version_line) + "\n";
    t += "endpoint " + e.endpoint + "\n";
    t += "name " + bigupload::percent_encode_path(e.name) + "\n";
    t += "key " + e.key + "\n";
    t += "size " + std::to_string(e.size) + "\n";
    if (!e.url.empty()) {
        t += "url " + e.url + "\n";
    }
    for (const Part &p : e.parts) {
        t += "part " + std::to_string(p.start) + " " + std::to_string(p.end) + " "
             + (p.url.empty() ? "-" : p.url) + "\n";
    }
    t += "sha256 " + bigupload::sha256_hex(t.data(), t.size()) + "\n";
    return t;
}

bool parse_entry(const std::string &text, Entry &out, std::string &error)
{
    Entry e;
    std::size_t last = text.rfind("sha256 ");
    if (last == std::string::npos || (last > 0 && text[last - 1] != '\n')) {
        error = "no checksum line";
        return false;
    }
    std::string body = text.substr(0, last);
    if (text.substr(last) != "sha256 " + bigupload::sha256_hex(body.data(), body.size()) + "\n") {
        error = "checksum mismatch (truncated or edited)";
        return false;
    }

    std::istringstream in(body);
    std::string line;
    bool first = true, have_endpoint = false, have_name = false, have_key = false,
         have_size = false;
    std::uint64_t next_start = 0;
    while (std::getline(in, line)) {
        if (first) {
            if (line != version_line) {
                error = "unknown version line '" + line + "'";
                return false;
            }
            first = false;
            continue;
        }
        std::size_t sp = line.find(' ');
        std::string field = line.substr(0, sp);
        std::string value = sp == std::string::npos ? std::string() : line.substr(sp + 1);
        if (field == "endpoint" && !have_endpoint && clean_value(value)) {
            e.endpoint = value;
            have_endpoint = true;
        } else if (field == "name" && !have_name && clean_value(value)) {
            if (bigupload::percent_decode(value, e.name) != bigupload::PathError::ok) {
                error = "bad name";
                return false;
            }
            have_name = true;
        } else if (field == "key" && !have_key && clean_value(value)) {
            e.key = value;
            have_key = true;
        } else if (field == "size" && !have_size && parse_u64(value, e.size)) {
            have_size = true;
        } else if (field == "url" && e.url.empty() && e.parts.empty() && clean_value(value)) {
            e.url = value;
        } else if (field == "part" && e.url.empty()) {
            std::istringstream ps(value);
            std::string a, b, u, rest;
            Part p;
            if (!(ps >> a >> b >> u) || (ps >> rest) || !parse_u64(a, p.start)
                || !parse_u64(b, p.end) || p.start != next_start || p.end <= p.start
                || !clean_value(u)) {
                error = "bad part line '" + line + "'";
                return false;
            }
            p.url = u == "-" ? std::string() : u;
            next_start = p.end;
            e.parts.push_back(p);
        } else {
            error = "bad line '" + line + "'";
            return false;
        }
    }
    if (first || !have_endpoint || !have_name || !have_key || !have_size) {
        error = "a field is missing";
        return false;
    }
    if (!e.parts.empty() && next_start != e.size) {
        error = "the parts do not cover the file";
        return false;
    }
    out = e;
    return true;
}

std::string StateStore::path_of(const Entry &e) const
{
    return dir_ + "/" + entry_file_name(e.endpoint, e.name, e.key);
}

StateStore::Found StateStore::load(const std::string &endpoint, const std::string &name,
                                   const std::string &key, Entry &out, std::string &error) const
{
    if (!usable()) {
        return Found::absent;
    }
    Entry want;
    want.endpoint = endpoint;
    want.name = name;
    want.key = key;
    std::string path = path_of(want);
    std::ifstream f(path, std::ios::binary);
    if (!f) {
        if (errno == ENOENT) {
            return Found::absent;
        }
        error = "cannot read " + path + ": " + std::strerror(errno);
        return Found::bad;
    }
    std::stringstream ss;
    ss << f.rdbuf();
    Entry e;
    std::string why;
    if (!parse_entry(ss.str(), e, why)) {
        error = path + ": " + why;
        return Found::bad;
    }
    if (e.endpoint != endpoint || e.name != name || e.key != key) {
        error = path + ": it is another upload's";
        return Found::bad;
    }
    out = e;
    return Found::found;
}

bool StateStore::save(const Entry &e, std::string &error) const
{
    if (!usable()) {
        return true;
    }
    if (!make_dirs(dir_, error)) {
        return false;
    }
    std::string path = path_of(e);
    std::string tmp = path + ".tmp." + std::to_string(getpid());
    std::string text = format_entry(e);
    int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        error = "cannot write " + tmp + ": " + std::strerror(errno);
        return false;
    }
    bool ok = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
    int saved = errno;
    ok = close(fd) == 0 && ok;
    if (!ok || rename(tmp.c_str(), path.c_str()) != 0) {
        error = "cannot write " + path + ": " + std::strerror(ok ? errno : saved);
        unlink(tmp.c_str());
        return false;
    }
    return true;
}

bool StateStore::remove(const Entry &e, std::string &error) const
{
    if (!usable()) {
        return true;
    }
    std::string path = path_of(e);
    if (unlink(path.c_str()) != 0 && errno != ENOENT) {
        error = "cannot remove " + path + ": " + std::strerror(errno);
        return false;
    }
    return true;
}

}  // namespace tus
}  // namespace bgclient
