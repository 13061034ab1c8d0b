// Fuzz target: upload keys and partial ids (engine/upload_state,
// proto/native, engine/partial_store).
//
// The input is a key as a client sends it in Upload-Key; it also seeds the
// key bgclient derives and the id of a native partial.  Properties:
// - valid_upload_key agrees with the README's rule read independently (1 to
//   128 of A-Z a-z 0-9 . _ ~ + / = -), and parse_native accepts the key on
//   PUT, HEAD and DELETE exactly when it is valid;
// - a state file keeps a valid key as it is and refuses an invalid one;
// - derive_upload_key gives 32 lower-case hex digits (a valid key) and
//   native_partial_id 40 (a valid partial id, a file name), both the same
//   for the same input; new_id() is valid too;
// - PartialStore::valid_id agrees with its rule (1 to 64 of 0-9 a-z).
//
// Built and run by mk/fuzz.mk (make fuzz; make fuzz-build, then
// build-fuzz/fuzz_keys fuzz/corpus/keys), from these sources:
// fuzz-sources: ngx_module/core/proto/native.cpp ngx_module/core/proto/http.cpp
// fuzz-sources: ngx_module/core/proto/errors.cpp ngx_module/core/proto/media_type.cpp
// fuzz-sources: ngx_module/core/proto/digest_fields.cpp ngx_module/core/proto/sfv.cpp
// fuzz-sources: ngx_module/core/engine/upload_state.cpp ngx_module/core/engine/partial_store.cpp
// fuzz-sources: ngx_module/core/engine/store.cpp ngx_module/core/report/status.cpp
// fuzz-sources: ngx_module/core/base/range.cpp ngx_module/core/base/size.cpp
// fuzz-sources: ngx_module/core/base/digest.cpp ngx_module/core/base/crc.cpp
// fuzz-sources: ngx_module/core/base/base64.cpp ngx_module/core/base/path.cpp
// fuzz-options: -max_len=256
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "engine/partial_store.hpp"
#include "engine/upload_state.hpp"
#include "fuzz_check.hpp"
#include "proto/native.hpp"

using namespace bigupload;

namespace {

bool reference_key(std::string_view k)
{
    static const std::string_view allowed =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._~+/=-";
    return !k.empty() && k.size() <= 128 && k.find_first_not_of(allowed) == std::string_view::npos;
}

bool reference_id(std::string_view id)
{
    return !id.empty() && id.size() <= 64
           && id.find_first_not_of("0123456789abcdefghijklmnopqrstuvwxyz") == std::string_view::npos;
}

bool lower_hex(const std::string &s, std::size_t n)
{
    return s.size() == n && s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

bool native_accepts(std::string_view method, std::string_view key)
{
    HttpRequest rq;
    rq.method = method;
    rq.content_length = method == "PUT" ? 0 : -1;
    rq.fields.emplace_back("Upload-Key", key);
    NativeRequest out;
    NativeRefusal why;
    bool ok = parse_native(rq, out, why);
    fuzz_check(ok ? out.key == key : why.error == Error::bad_upload_key);
    return ok;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    std::string_view key(reinterpret_cast<const char *>(data), size);

    bool valid = valid_upload_key(key);
    fuzz_check(valid == reference_key(key));
    fuzz_check(native_accepts("PUT", key) == valid);
    fuzz_check(native_accepts("HEAD", key) == valid);
    fuzz_check(native_accepts("DELETE", key) == valid);

    UploadState st;
    st.key = std::string(key);
    st.path = "/f";
    UploadState back;
    StateError e = parse_state(serialize_state(st), back);
    if (valid || key.empty()) {
        fuzz_check(e == StateError::ok && back.key == key);
    } else {
        fuzz_check(e == StateError::bad_field);
    }

    std::uint64_t fsize = 0;
    std::int64_t mtime = 0;
    if (size >= 16) {
        std::memcpy(&fsize, data, 8);
        std::memcpy(&mtime, data + 8, 8);
    }
    std::string_view head = key.substr(0, size / 2), tail = key.substr(size / 2);
    std::string derived = derive_upload_key(fsize, mtime, head, tail);
    fuzz_check(lower_hex(derived, 32) && valid_upload_key(derived));
    fuzz_check(derived == derive_upload_key(fsize, mtime, head, tail));

    std::string id = native_partial_id(key);
    fuzz_check(lower_hex(id, 40) && PartialStore::valid_id(id) && id == native_partial_id(key));

    fuzz_check(PartialStore::valid_id(key) == reference_id(key));
    if (size > 0 && data[0] == 0) {
        std::string fresh = PartialStore::new_id();
        fuzz_check(lower_hex(fresh, 32) && PartialStore::valid_id(fresh));
    }
    return 0;
}
