// Where a tus upload of a file continues: the upload URL the server chose
// (or the partial uploads of a parallel one) kept in a small file under
// $XDG_STATE_HOME/bgclient/ (default ~/.local/state/bgclient/), one per
// upload, named after the creation URL, the name and the file's upload key,
// so that the same command run again resumes it (as tus-js-client's URL
// storage does in a browser).  A finished upload's file is removed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace bgclient {
namespace tus {

// One partial upload of a parallel (concatenated) upload: the bytes
// [start, end) of the file, at url (the server's Location, as sent).
struct Part {
    std::uint64_t start = 0, end = 0;
    std::string url;  // "" until created
    bool operator==(const Part &o) const
    {
        return start == o.start && end == o.end && url == o.url;
    }
};

struct Entry {
    std::string endpoint;     // the creation URL
    std::string name;         // the filename metadata
    std::string key;          // the file's upload key
    std::uint64_t size = 0;
    std::string url;          // the upload's Location (a single upload); "" with parts
    std::vector<Part> parts;  // a parallel upload's partials

    bool operator==(const Entry &o) const
    {
        return endpoint == o.endpoint && name == o.name && key == o.key && size == o.size
               && url == o.url && parts == o.parts;
    }
};

// The directory: $XDG_STATE_HOME/bgclient when it is an absolute path,
// else $HOME/.local/state/bgclient; "" when neither is set (no state).
std::string state_dir(const char *xdg_state_home, const char *home);

// "tus-<32 hex digits>": the entry's file name, from its endpoint, name and key.
std::string entry_file_name(const std::string &endpoint, const std::string &name,
                            const std::string &key);

// The file's text: a version line, one "field value" line each (the name
// percent-encoded; URLs must hold no space or control character), and a
// last line with the sha256 of all before it, so that a truncated or
// edited file is refused, not trusted.
std::string format_entry(const Entry &e);
bool parse_entry(const std::string &text, Entry &out, std::string &error);

// The state directory and its files.  Each entry is written to a temp file
// and renamed into place (mode 0600: an upload URL may be all it takes to
// write to the upload); the directory is created 0700.
class StateStore {
public:
    explicit StateStore(std::string dir) : dir_(std::move(dir)) {}
    bool usable() const { return !dir_.empty(); }
    const std::string &dir() const { return dir_; }
    std::string path_of(const Entry &e) const;

    enum class Found { absent, found, bad };
    // The entry for (endpoint, name, key): found (also checked to be that
    // one), absent, or bad (unreadable or damaged: error says why).
    Found load(const std::string &endpoint, const std::string &name, const std::string &key,
               Entry &out, std::string &error) const;
    bool save(const Entry &e, std::string &error) const;
    // Removes the entry's file; true when it is gone (also when it was).
    bool remove(const Entry &e, std::string &error) const;

private:
    std::string dir_;
};

}  // namespace tus
}  // namespace bgclient
