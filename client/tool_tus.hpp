// bgclient --protocol tus: one file uploaded to a tus 1.0.0 server (tusd,
// @tus/server, bigupload's tus front-end), across the attempts of
// bgclient.cpp's retry loop.  OPTIONS tells what the server offers; the
// creation POST goes to the creation URL (tool_tus_proto) with the name as
// "filename" metadata; the upload URL the server answers is kept in the
// state file (tool_tus_state) before any byte is sent, so a rerun asks it
// (HEAD) where to continue; PATCHes send the rest (tool_ranges, with tus's
// requests), with Upload-Checksum when the checksum extension is offered,
// and with -j N as N partial uploads concatenated by a final one when the
// concatenation extension is.  A finished upload's state file is removed.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "base/digest.hpp"
#include "tool_args.hpp"
#include "tool_filehash.hpp"
#include "tool_outcome.hpp"
#include "tool_progress.hpp"
#include "tool_ranges.hpp"
#include "tool_request.hpp"
#include "tool_source.hpp"
#include "tool_tus_proto.hpp"
#include "tool_tus_state.hpp"

namespace bgclient {

// What one attempt came to (the fields of bgclient.cpp's Attempt).
struct TusAttempt {
    AttemptResult r;
    bool fatal = false;          // stop with fatal_code / fatal_message
    int fatal_code = 0;
    std::string fatal_message;
    std::string local_digest;    // of the whole file, once complete
    std::uint64_t local_size = 0;
    std::uint64_t done = 0;      // bytes the server holds, for the meter
    std::int64_t sent = -1;      // bytes this attempt sent
    std::int64_t resumed_at = -1;
};

class TusUpload {
public:
    // src: a regular file; key: its upload key (Source::upload_key).
    TusUpload(const Config &cfg, Source &src, const std::string &key);
    ~TusUpload();
    TusUpload(const TusUpload &) = delete;
    TusUpload &operator=(const TusUpload &) = delete;

    // OPTIONS on the creation URL; true when it answered tus 1.0.0 (the
    // offer is kept for the attempts).
    bool discover(ProgressMeter &meter, long timeout_ms, Reply *reply = nullptr);
    // An earlier run of this file to this creation URL and name left its
    // upload URL in the state directory.
    bool has_state() const;

    TusAttempt attempt(ProgressMeter &meter, double deadline, unsigned attempt);
    // The last attempt's outcome (tus::classify with what it did).
    Outcome classify(const AttemptResult &r, const OutcomeInput &in) const;

    const std::string &creation_url() const { return target_.creation_url; }
    // The upload's URL (the final one of a parallel upload), resolved; "" before creation.
    std::string upload_url() const;
    // How the server confirmed the bytes: "sha256" (Repr-Digest, checked),
    // "checksum" (every PATCH with Upload-Checksum), "none".
    std::string verification(const Outcome &o) const;
    // The last attempt found the whole file on the server.
    bool completed() const;
    // The upload is over (succeeded, or complete on the server and judged):
    // its state file is removed.
    void finished(ProgressMeter &meter);

private:
    enum class Probe { ok, gone, failed };

    TusAttempt failed(const AttemptResult &r, const char *method, const std::string &url);
    static TusAttempt fatal(int code, const std::string &message);
    bool check_offer(TusAttempt &at);
    void restart(ProgressMeter &meter, double deadline);
    void load_entry(ProgressMeter &meter);
    void save_entry(ProgressMeter &meter);
    void forget_entry(ProgressMeter &meter);
    Probe probe(const std::string &raw_url, std::uint64_t length, ProgressMeter &meter,
                double deadline, std::uint64_t &offset, Reply &reply);
    bool create(const std::vector<std::string> &headers, ProgressMeter &meter, double deadline,
                std::string &location, Reply &reply);
    std::vector<std::string> base_headers() const;
    bool build_patch(const bigupload::ByteRange &piece, PieceRequest &req);
    void complete(TusAttempt &at, const AttemptResult &answer);

    const Config &cfg_;
    Source &src_;
    std::string key_;
    tus::Target target_;
    tus::StateStore store_;
    bool discovered_ = false;
    tus::Offer offer_;
    std::optional<bigupload::DigestAlg> checksum_;
    bool restarted_ = false;
    bool loaded_ = false;
    bool noted_save_error_ = false;
    tus::Entry entry_;
    tus::Facts facts_;
    std::string final_url_;     // a parallel upload's final upload, as sent
    std::string meter_note_;    // -v: the PATCH being started
    std::unique_ptr<FileHasher> hasher_;
};

}  // namespace bgclient
