#include "proto/tus.hpp"

#include "base/base64.hpp"
#include "base/size.hpp"
#include "proto/media_type.hpp"

namespace bigupload {
namespace tus {

namespace {

bool is_ows(char c) { return c == ' ' || c == '\t'; }

// %x21-7E: what a key or URL may hold (no space, control, DEL or non-ASCII)
bool is_visible(char c) { return c > 0x20 && c < 0x7f; }

std::string_view trim_ows(std::string_view s)
{
    while (!s.empty() && is_ows(s.front())) {
        s.remove_prefix(1);
    }
    while (!s.empty() && is_ows(s.back())) {
        s.remove_suffix(1);
    }
    return s;
}

bool valid_metadata_key(std::string_view k)
{
    if (k.empty()) {
        return false;
    }
    for (char c : k) {
        if (!is_visible(c) || c == ',') {
            return false;
        }
    }
    return true;
}

// Checksum algorithm names: ASCII, uppercase excluded; no space (the
// separator) and no comma (Tus-Checksum-Algorithm is a comma list).
bool valid_algorithm_name(std::string_view n)
{
    if (n.empty()) {
        return false;
    }
    for (char c : n) {
        if (!is_visible(c) || c == ',' || (c >= 'A' && c <= 'Z')) {
            return false;
        }
    }
    return true;
}

NumberError parse_non_negative(std::string_view value, std::uint64_t &out)
{
    if (value.empty()) {
        return NumberError::empty;
    }
    std::uint64_t v;
    bool overflow;
    std::string_view s = value;
    if (!take_decimal(s, v, overflow)) {
        return overflow ? NumberError::overflow : NumberError::not_digits;
    }
    if (!s.empty()) {
        return NumberError::not_digits;
    }
    out = v;
    return NumberError::none;
}

}  // namespace

bool resumable_supported(std::string_view value)
{
    return value == version;
}

const char *number_error_message(NumberError e)
{
    switch (e) {
    case NumberError::none: return "ok";
    case NumberError::empty: return "empty";
    case NumberError::not_digits: return "not a non-negative integer";
    case NumberError::overflow: return "larger than 2^63 - 1";
    }
    return "unknown error";
}

NumberError parse_offset(std::string_view value, std::uint64_t &out)
{
    return parse_non_negative(value, out);
}

NumberError parse_length(std::string_view value, std::uint64_t &out)
{
    return parse_non_negative(value, out);
}

bool defer_length_valid(std::string_view value)
{
    return value == "1";
}

const char *metadata_error_message(MetadataError e)
{
    switch (e) {
    case MetadataError::none: return "ok";
    case MetadataError::empty: return "empty Upload-Metadata";
    case MetadataError::too_large: return "Upload-Metadata too large";
    case MetadataError::empty_element: return "an empty Upload-Metadata pair";
    case MetadataError::bad_key: return "an Upload-Metadata key with a control or non-ASCII byte";
    case MetadataError::bad_separator: return "an Upload-Metadata pair not of the form \"key value\"";
    case MetadataError::bad_base64: return "an Upload-Metadata value that is not base64";
    case MetadataError::duplicate_key: return "a repeated Upload-Metadata key";
    }
    return "unknown error";
}

MetadataStatus parse_metadata(std::string_view value, Metadata &out, std::size_t max_size)
{
    MetadataStatus st;
    out.clear();

    if (value.size() > max_size) {
        st.error = MetadataError::too_large;
        return st;
    }
    if (trim_ows(value).empty()) {
        st.error = MetadataError::empty;
        return st;
    }

    std::size_t pos = 0;
    for (st.pair = 0;; st.pair++) {
        std::size_t comma = value.find(',', pos);
        std::string_view element = trim_ows(
            value.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos));

        if (element.empty()) {
            st.error = MetadataError::empty_element;
            out.clear();
            return st;
        }

        std::size_t sp = element.find(' ');
        std::string_view key = element.substr(0, sp);
        std::string_view b64 = sp == std::string_view::npos ? std::string_view() : element.substr(sp + 1);

        MetadataError e = MetadataError::none;
        std::optional<std::string> decoded;
        if (!valid_metadata_key(key)) {
            e = MetadataError::bad_key;
        } else if (b64.find(' ') != std::string_view::npos) {
            e = MetadataError::bad_separator;
        } else if (!(decoded = base64_decode(b64, Base64Mode::strict))) {
            e = MetadataError::bad_base64;
        } else if (find_metadata(out, key) != nullptr) {
            e = MetadataError::duplicate_key;
        }
        if (e != MetadataError::none) {
            st.error = e;
            out.clear();
            return st;
        }
        out.push_back(MetadataEntry{std::string(key), std::move(*decoded)});

        if (comma == std::string_view::npos) {
            break;
        }
        pos = comma + 1;
    }

    st.pair = 0;
    return st;
}

std::optional<std::string> format_metadata(const Metadata &m)
{
    std::string out;
    if (m.empty()) {
        return std::nullopt;
    }
    for (std::size_t i = 0; i < m.size(); i++) {
        if (!valid_metadata_key(m[i].key)) {
            return std::nullopt;
        }
        if (i != 0) {
            out.push_back(',');
        }
        out += m[i].key;
        if (!m[i].value.empty()) {
            out.push_back(' ');
            out += base64_encode(m[i].value);
        }
    }
    return out;
}

const std::string *find_metadata(const Metadata &m, std::string_view key)
{
    for (const auto &e : m) {
        if (e.key == key) {
            return &e.value;
        }
    }
    return nullptr;
}

const char *checksum_error_message(ChecksumError e)
{
    switch (e) {
    case ChecksumError::none: return "ok";
    case ChecksumError::malformed: return "Upload-Checksum is not \"<algorithm> <base64>\"";
    case ChecksumError::unsupported_algorithm: return "unsupported checksum algorithm";
    case ChecksumError::wrong_length: return "checksum of the wrong length for its algorithm";
    }
    return "unknown error";
}

ChecksumError parse_checksum(std::string_view value,
                             const std::vector<ChecksumAlgorithm> &supported, Checksum &out)
{
    std::size_t sp = value.find(' ');
    if (sp == std::string_view::npos) {
        return ChecksumError::malformed;
    }
    std::string_view name = value.substr(0, sp);
    std::string_view b64 = value.substr(sp + 1);
    if (!valid_algorithm_name(name) || b64.empty()) {
        return ChecksumError::malformed;
    }
    std::optional<std::string> raw = base64_decode(b64, Base64Mode::strict);
    if (!raw) {
        return ChecksumError::malformed;
    }

    for (const auto &a : supported) {
        if (a.name == name) {
            if (raw->size() != a.digest_size) {
                return ChecksumError::wrong_length;
            }
            out.algorithm = std::string(name);
            out.bytes = std::move(*raw);
            return ChecksumError::none;
        }
    }
    return ChecksumError::unsupported_algorithm;
}

const char *concat_error_message(ConcatError e)
{
    switch (e) {
    case ConcatError::none: return "ok";
    case ConcatError::malformed: return "Upload-Concat is neither \"partial\" nor \"final;<urls>\"";
    case ConcatError::no_urls: return "a final Upload-Concat without URLs";
    case ConcatError::empty_url: return "an empty URL in Upload-Concat";
    case ConcatError::bad_url: return "a URL in Upload-Concat with a control or non-ASCII byte";
    case ConcatError::too_many: return "too many URLs in Upload-Concat";
    }
    return "unknown error";
}

ConcatError parse_concat(std::string_view value, Concat &out, std::size_t max_parts)
{
    static constexpr std::string_view final_prefix = "final;";

    out = Concat();
    if (value == "partial") {
        return ConcatError::none;
    }
    if (value.substr(0, final_prefix.size()) != final_prefix) {
        return ConcatError::malformed;
    }
    std::string_view list = value.substr(final_prefix.size());
    if (list.empty()) {
        return ConcatError::no_urls;
    }

    out.final = true;
    std::size_t pos = 0;
    for (;;) {
        std::size_t sp = list.find(' ', pos);
        std::string_view url = list.substr(pos, sp == std::string_view::npos ? sp : sp - pos);
        if (url.empty()) {
            out = Concat();
            return ConcatError::empty_url;
        }
        for (char c : url) {
            if (!is_visible(c)) {
                out = Concat();
                return ConcatError::bad_url;
            }
        }
        if (out.urls.size() == max_parts) {
            out = Concat();
            return ConcatError::too_many;
        }
        out.urls.emplace_back(url);
        if (sp == std::string_view::npos) {
            return ConcatError::none;
        }
        pos = sp + 1;
    }
}

std::optional<std::string> format_concat(const Concat &c)
{
    if (!c.final) {
        return std::string("partial");
    }
    if (c.urls.empty()) {
        return std::nullopt;
    }
    std::string out = "final;";
    for (std::size_t i = 0; i < c.urls.size(); i++) {
        if (c.urls[i].empty()) {
            return std::nullopt;
        }
        for (char ch : c.urls[i]) {
            if (!is_visible(ch)) {
                return std::nullopt;
            }
        }
        if (i != 0) {
            out.push_back(' ');
        }
        out += c.urls[i];
    }
    return out;
}

std::optional<std::string_view> concat_url_path(std::string_view url)
{
    std::string_view path;

    if (url.substr(0, 2) == "//") {
        std::size_t slash = url.find('/', 2);
        if (slash == std::string_view::npos) {
            return std::nullopt;
        }
        path = url.substr(slash);
    } else if (!url.empty() && url[0] == '/') {
        path = url;
    } else {
        // an absolute URI: scheme "://" authority path (RFC 3986 3.1)
        std::size_t colon = url.find("://");
        if (colon == std::string_view::npos || colon == 0) {
            return std::nullopt;
        }
        for (std::size_t i = 0; i < colon; i++) {
            char c = url[i];
            bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
            bool ok = alpha || (i > 0 && ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.'));
            if (!ok) {
                return std::nullopt;
            }
        }
        std::size_t slash = url.find('/', colon + 3);
        if (slash == std::string_view::npos) {
            return std::nullopt;
        }
        path = url.substr(slash);
    }

    if (path.find_first_of("?#") != std::string_view::npos) {
        return std::nullopt;
    }
    return path;
}

std::optional<Method> parse_method_override(std::string_view value)
{
    static const struct {
        std::string_view name;
        Method m;
    } methods[] = {
        {"GET", Method::get},     {"HEAD", Method::head},       {"POST", Method::post},
        {"PUT", Method::put},     {"PATCH", Method::patch},     {"DELETE", Method::delete_},
        {"OPTIONS", Method::options},
    };
    for (const auto &x : methods) {
        if (x.name == value) {
            return x.m;
        }
    }
    return std::nullopt;
}

const char *method_name(Method m)
{
    switch (m) {
    case Method::get: return "GET";
    case Method::head: return "HEAD";
    case Method::post: return "POST";
    case Method::put: return "PUT";
    case Method::patch: return "PATCH";
    case Method::delete_: return "DELETE";
    case Method::options: return "OPTIONS";
    }
    return "";
}

std::string format_extensions(const Extensions &e)
{
    const struct {
        bool on;
        const char *name;
    } all[] = {
        {e.creation, "creation"},
        {e.creation_with_upload, "creation-with-upload"},
        {e.creation_defer_length, "creation-defer-length"},
        {e.expiration, "expiration"},
        {e.checksum, "checksum"},
        {e.checksum_trailer, "checksum-trailer"},
        {e.termination, "termination"},
        {e.concatenation, "concatenation"},
        {e.concatenation_unfinished, "concatenation-unfinished"},
    };

    std::string out;
    for (const auto &x : all) {
        if (x.on) {
            if (!out.empty()) {
                out.push_back(',');
            }
            out += x.name;
        }
    }
    return out;
}

std::string format_versions()
{
    return std::string(version);
}

std::optional<std::string> format_checksum_algorithms(const std::vector<std::string_view> &names)
{
    std::string out;
    if (names.empty()) {
        return std::nullopt;
    }
    for (std::size_t i = 0; i < names.size(); i++) {
        if (!valid_algorithm_name(names[i])) {
            return std::nullopt;
        }
        if (i != 0) {
            out.push_back(',');
        }
        out += names[i];
    }
    return out;
}

bool is_patch_content_type(std::string_view content_type)
{
    return media_type_is(content_type, "application/offset+octet-stream");
}

}  // namespace tus
}  // namespace bigupload
