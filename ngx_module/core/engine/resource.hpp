// Uploads named by the server: resources whose id (PartialStore::new_id())
// is the secret, made by a creation request of one dialect (tus, the IETF
// draft) and then addressed by that id alone.  What a request about one
// (HEAD, DELETE) does, beside the writes of resumable.hpp and concat.hpp.
//
// A resource of another dialect is not there for a request (not_found), nor
// is one idle for longer than the expiry allows, even before the sweep has
// removed it: an id reveals nothing about uploads of another protocol, and
// an expired upload never comes back.
//
// Every function blocks and runs on a worker thread; none logs.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "engine/outcome.hpp"
#include "engine/partial_store.hpp"
#include "engine/store.hpp"
#include "engine/upload_state.hpp"

namespace bigupload {

struct ResourceInfo {
    UploadState state;
    // the record of a finished upload (state.finished): the file at its
    // target now, when it is still the one stored (its size), for its digest
    TargetInfo target;
};

// What the store holds for resource "id" of "protocol": ok, not_found (none,
// one of another protocol or with a client key, or one idle for longer than
// "max_idle" seconds at "now"; 0: no limit), corrupt or error.
Outcome query_resource(PartialStore &store, const std::string &id, std::string_view protocol,
                       std::int64_t max_idle, std::int64_t now, ResourceInfo &info,
                       FsError &e);

// Removes resource "id" of "protocol" (its partial, or the record of the
// finished upload: the stored file stays): ok, not_found (as for
// query_resource, expiry included), or error.  A damaged state of the id is
// removed too.  The finished upload's record goes, "info" says what it was.
Outcome terminate_resource(PartialStore &store, const std::string &id,
                           std::string_view protocol, std::int64_t max_idle,
                           std::int64_t now, ResourceInfo &info, FsError &e);

}  // namespace bigupload
