#include "engine/resource.hpp"

#include <cerrno>
#include <vector>

#include "base/path.hpp"

namespace bigupload {

namespace {

bool is_there(const UploadState &st, std::string_view protocol, std::int64_t max_idle,
              std::int64_t now)
{
    return st.key.empty() && st.protocol == protocol
           && !(max_idle > 0 && st.updated + max_idle < now);
}

// The store's directory of partials, which a request about a resource never
// creates: a store without one has no resources.
Outcome open_store(PartialStore &store, FsError &e)
{
    if (store.open(false, e)) {
        return Outcome::ok;
    }
    if (e.err == ENOENT) {
        e = FsError();
        return Outcome::not_found;
    }
    return Outcome::error;
}

}  // namespace

Outcome query_resource(PartialStore &store, const std::string &id, std::string_view protocol,
                       std::int64_t max_idle, std::int64_t now, ResourceInfo &info,
                       FsError &e)
{
    info = ResourceInfo();

    Outcome o = open_store(store, e);
    if (o != Outcome::ok) {
        return o;
    }

    // the state file is replaced atomically: no lock needed to read it
    bool found;
    o = store.load(id, info.state, found, e);
    if (o != Outcome::ok) {
        return o;
    }

    if (!found || !is_there(info.state, protocol, max_idle, now)) {
        info.state = UploadState();
        return Outcome::not_found;
    }

    if (info.state.finished) {
        std::vector<std::string> segments;
        if (split_remote_path(info.state.path, segments) == PathError::ok) {
            info.target = probe_target(store.root(), segments, store.options());
        }
        // another file there now is not this upload's
        if (!info.target.exists || !info.state.length
            || info.target.size != *info.state.length)
        {
            info.target = TargetInfo();
        }
    }

    return Outcome::ok;
}

Outcome terminate_resource(PartialStore &store, const std::string &id,
                           std::string_view protocol, std::int64_t max_idle,
                           std::int64_t now, ResourceInfo &info, FsError &e)
{
    info = ResourceInfo();

    Outcome o = open_store(store, e);
    if (o != Outcome::ok) {
        return o;
    }

    Fd held = store.lock(id, true, e);
    if (!held) {
        return Outcome::error;
    }

    bool found;
    o = store.load(id, info.state, found, e);

    if (o == Outcome::corrupt) {
        store.remove(id);
        return Outcome::ok;
    }

    if (o == Outcome::ok && found && is_there(info.state, protocol, max_idle, now)) {
        store.remove(id);
        return Outcome::ok;
    }

    if (o == Outcome::ok && !found) {
        // nothing to remove: do not leave the lock file behind either
        store.remove(id);
    }

    info.state = UploadState();
    return o == Outcome::ok ? Outcome::not_found : o;
}

}  // namespace bigupload
