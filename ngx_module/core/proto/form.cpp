#include "proto/form.hpp"

#include "base/path.hpp"
#include "base/utf8.hpp"

#include <algorithm>
#include <cstring>
#include <optional>

namespace bigupload {

namespace {

// RFC 2046 5.1.1: at most 70 characters
constexpr std::size_t max_boundary = 70;

bool is_alnum(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// RFC 9110 5.6.2
bool is_tchar(unsigned char c)
{
    return is_alnum(c) || (c != 0 && std::strchr("!#$%&'*+-.^_`|~", c) != nullptr);
}

// RFC 2046 5.1.1 bcharsnospace
bool is_bchar_nospace(unsigned char c)
{
    return is_alnum(c) || (c != 0 && std::strchr("'()+_,-./:=?", c) != nullptr);
}

bool is_ws(char c)
{
    return c == ' ' || c == '\t';
}

// A header value's byte: HTAB, SP, VCHAR or obs-text (browsers send file
// names as raw UTF-8).
bool is_value_byte(unsigned char c)
{
    return c == '\t' || (c >= 0x20 && c != 0x7f);
}

char to_lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b)
{
    if (a.size() != b.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.size(); i++) {
        if (to_lower(a[i]) != to_lower(b[i])) {
            return false;
        }
    }
    return true;
}

std::string_view trim(std::string_view s)
{
    while (!s.empty() && is_ws(s.front())) {
        s.remove_prefix(1);
    }
    while (!s.empty() && is_ws(s.back())) {
        s.remove_suffix(1);
    }
    return s;
}

void skip_ws(std::string_view s, std::size_t &pos)
{
    while (pos < s.size() && is_ws(s[pos])) {
        pos++;
    }
}

std::string_view take_token(std::string_view s, std::size_t &pos)
{
    std::size_t start = pos;
    while (pos < s.size() && is_tchar(static_cast<unsigned char>(s[pos]))) {
        pos++;
    }
    return s.substr(start, pos - start);
}

// A quoted-string starting at s[pos] == '"'.  Only \" and \\ are taken as
// escapes: browsers (WHATWG HTML) and curl percent-encode '"' and send a
// backslash raw ("C:\dir\a.txt", "a\b.txt"), while Go, urllib3 and
// curl --form-escape write \" and \\; both then read back as sent.
bool take_quoted(std::string_view s, std::size_t &pos, std::string &out)
{
    pos++;
    while (pos < s.size()) {
        unsigned char c = static_cast<unsigned char>(s[pos]);
        if (c == '"') {
            pos++;
            return true;
        }
        if (c == '\\' && pos + 1 < s.size() && (s[pos + 1] == '"' || s[pos + 1] == '\\')) {
            out += s[pos + 1];
            pos += 2;
            continue;
        }
        if (!is_value_byte(c)) {
            return false;
        }
        out += static_cast<char>(c);
        pos++;
    }
    return false;   // no closing quote
}

struct Param {
    std::string name;    // lower case
    std::string value;   // decoded
    bool quoted = false;
};

// *( OWS ";" OWS token "=" ( token / quoted-string ) ) OWS up to the end.
// No whitespace around "=", no empty parameter (a trailing ";").
bool parse_params(std::string_view s, std::size_t pos, std::vector<Param> &out)
{
    for (;;) {
        skip_ws(s, pos);
        if (pos == s.size()) {
            return true;
        }
        if (s[pos] != ';') {
            return false;
        }
        pos++;
        skip_ws(s, pos);

        Param p;
        std::string_view name = take_token(s, pos);
        if (name.empty() || pos == s.size() || s[pos] != '=') {
            return false;
        }
        for (char c : name) {
            p.name += to_lower(c);
        }
        pos++;
        if (pos < s.size() && s[pos] == '"') {
            p.quoted = true;
            if (!take_quoted(s, pos, p.value)) {
                return false;
            }
        } else {
            std::string_view v = take_token(s, pos);
            if (v.empty()) {
                return false;
            }
            p.value = std::string(v);
        }
        out.push_back(std::move(p));
    }
}

// type "/" subtype, then the position of what follows.
bool parse_media_type(std::string_view s, std::string_view &type, std::string_view &subtype,
                      std::size_t &pos)
{
    pos = 0;
    skip_ws(s, pos);
    type = take_token(s, pos);
    if (type.empty() || pos == s.size() || s[pos] != '/') {
        return false;
    }
    pos++;
    subtype = take_token(s, pos);
    return !subtype.empty();
}

bool valid_boundary(std::string_view b)
{
    if (b.empty() || b.size() > max_boundary || b.back() == ' ') {
        return false;
    }
    return std::all_of(b.begin(), b.end(), [](char c) {
        return c == ' ' || is_bchar_nospace(static_cast<unsigned char>(c));
    });
}

// RFC 5987 3.2.1 attr-char
bool is_attr_char(unsigned char c)
{
    return is_alnum(c) || (c != 0 && std::strchr("!#$&+-.^_`|~", c) != nullptr);
}

// filename*=charset'language'value-chars, into UTF-8.
bool decode_ext_value(std::string_view v, std::string &out)
{
    std::size_t q1 = v.find('\'');
    if (q1 == std::string_view::npos) {
        return false;
    }
    std::size_t q2 = v.find('\'', q1 + 1);
    if (q2 == std::string_view::npos) {
        return false;
    }
    std::string_view charset = v.substr(0, q1);
    std::string_view language = v.substr(q1 + 1, q2 - q1 - 1);
    std::string_view chars = v.substr(q2 + 1);

    bool utf8 = iequals(charset, "UTF-8");
    if (!utf8 && !iequals(charset, "ISO-8859-1")) {
        return false;
    }
    for (char c : language) {
        if (!is_alnum(static_cast<unsigned char>(c)) && c != '-') {
            return false;
        }
    }

    // value-chars: attr-chars and %XX escapes (checked by percent_decode,
    // which also refuses a %00)
    for (std::size_t i = 0; i < chars.size(); i++) {
        if (chars[i] == '%') {
            i += 2;
        } else if (!is_attr_char(static_cast<unsigned char>(chars[i]))) {
            return false;
        }
    }
    std::string bytes;
    if (percent_decode(chars, bytes) != PathError::ok) {
        return false;
    }

    if (utf8) {
        if (!valid_utf8(bytes)) {
            return false;
        }
        out = std::move(bytes);
        return true;
    }
    out.clear();
    for (char ch : bytes) {   // ISO-8859-1 is the first 256 code points
        unsigned char c = static_cast<unsigned char>(ch);
        if (c < 0x80) {
            out += ch;
        } else {
            out += static_cast<char>(0xc0 | (c >> 6));
            out += static_cast<char>(0x80 | (c & 0x3f));
        }
    }
    return true;
}

// The parameters of a Content-Disposition of any type (RFC 6266 4.1): its
// type, name, filename and filename*.
FormError parse_disposition_fields(std::string_view value, std::string_view &type,
                                   FormPart &part, bool &has_name)
{
    std::size_t pos = 0;
    type = take_token(value, pos);
    if (type.empty()) {
        return FormError::bad_disposition;
    }
    std::vector<Param> params;
    if (!parse_params(value, pos, params)) {
        return FormError::bad_disposition;
    }

    has_name = false;
    for (Param &p : params) {
        if (p.name == "name") {
            if (has_name) {
                return FormError::bad_disposition;
            }
            has_name = true;
            part.name = std::move(p.value);
        } else if (p.name == "filename") {
            if (part.has_filename) {
                return FormError::bad_disposition;
            }
            part.has_filename = true;
            part.filename = std::move(p.value);
        } else if (p.name == "filename*") {
            if (part.has_filename_ext) {
                return FormError::bad_disposition;
            }
            // an ext-value is never a quoted-string
            if (p.quoted || !decode_ext_value(p.value, part.filename_ext)) {
                return FormError::bad_filename_ext;
            }
            part.has_filename_ext = true;
        }
        // other parameters are ignored (RFC 6266 4.4)
    }
    return FormError::ok;
}

FormError parse_disposition(std::string_view value, FormPart &part)
{
    std::string_view type;
    bool has_name = false;
    FormError e = parse_disposition_fields(value, type, part, has_name);
    if (e != FormError::ok) {
        return e;
    }
    if (!iequals(type, "form-data")) {
        return FormError::bad_disposition;
    }
    return has_name ? FormError::ok : FormError::no_name;
}

FormError parse_part_type(std::string_view value)
{
    std::string_view type, subtype;
    std::size_t pos;
    std::vector<Param> params;
    if (!parse_media_type(value, type, subtype, pos) || !parse_params(value, pos, params)) {
        return FormError::bad_part_type;
    }
    return iequals(type, "multipart") ? FormError::nested_multipart : FormError::ok;
}

FormError parse_transfer_encoding(std::string_view value)
{
    // RFC 7578 4.7: deprecated; only the identity encodings are understood
    if (iequals(value, "7bit") || iequals(value, "8bit") || iequals(value, "binary")) {
        return FormError::ok;
    }
    return FormError::bad_transfer_encoding;
}

}  // namespace

const char *form_error_code(FormError e)
{
    switch (e) {
    case FormError::ok: return "ok";
    case FormError::not_form_data: return "form_not_form_data";
    case FormError::no_boundary: return "form_no_boundary";
    case FormError::bad_boundary: return "form_bad_boundary";
    case FormError::no_first_delimiter: return "form_no_first_delimiter";
    case FormError::preamble_too_long: return "form_preamble_too_long";
    case FormError::bad_delimiter: return "form_bad_delimiter";
    case FormError::too_many_parts: return "form_too_many_parts";
    case FormError::truncated: return "form_truncated";
    case FormError::epilogue_too_long: return "form_epilogue_too_long";
    case FormError::header_syntax: return "form_header_syntax";
    case FormError::header_obs_fold: return "form_header_obs_fold";
    case FormError::header_bad_byte: return "form_header_bad_byte";
    case FormError::headers_too_long: return "form_headers_too_long";
    case FormError::too_many_headers: return "form_too_many_headers";
    case FormError::duplicate_header: return "form_duplicate_header";
    case FormError::no_disposition: return "form_no_disposition";
    case FormError::bad_disposition: return "form_bad_disposition";
    case FormError::no_name: return "form_no_name";
    case FormError::bad_filename_ext: return "form_bad_filename_ext";
    case FormError::bad_part_type: return "form_bad_part_type";
    case FormError::nested_multipart: return "form_nested_multipart";
    case FormError::bad_transfer_encoding: return "form_bad_transfer_encoding";
    case FormError::misuse: return "form_misuse";
    }
    return "form_unknown";
}

const char *form_error_message(FormError e)
{
    switch (e) {
    case FormError::ok: return "ok";
    case FormError::not_form_data: return "Content-Type is not multipart/form-data";
    case FormError::no_boundary: return "multipart/form-data without a boundary parameter";
    case FormError::bad_boundary:
        return "invalid multipart boundary (1 to 70 characters of RFC 2046, not ending in a space)";
    case FormError::no_first_delimiter: return "form body without a boundary delimiter line";
    case FormError::preamble_too_long: return "too much text before the first boundary";
    case FormError::bad_delimiter:
        return "a boundary line followed by something other than CRLF or \"--\"";
    case FormError::too_many_parts: return "too many parts in the form";
    case FormError::truncated: return "form body ended before its closing boundary";
    case FormError::epilogue_too_long: return "too much data after the closing boundary";
    case FormError::header_syntax: return "malformed header line in a form part";
    case FormError::header_obs_fold: return "folded header line in a form part";
    case FormError::header_bad_byte:
        return "control character or lone CR/LF in a form part's headers";
    case FormError::headers_too_long: return "a form part's headers are too long";
    case FormError::too_many_headers: return "a form part has too many headers";
    case FormError::duplicate_header: return "a form part repeats a header";
    case FormError::no_disposition: return "a form part without Content-Disposition";
    case FormError::bad_disposition:
        return "a form part's Content-Disposition is not a valid form-data one";
    case FormError::no_name: return "a form part without a name";
    case FormError::bad_filename_ext: return "a form part's filename* is invalid";
    case FormError::bad_part_type: return "a form part's Content-Type is malformed";
    case FormError::nested_multipart: return "nested multipart parts are not supported";
    case FormError::bad_transfer_encoding:
        return "a form part's Content-Transfer-Encoding is not supported";
    case FormError::misuse: return "form parser used out of order";
    }
    return "unknown form error";
}

FormError parse_form_content_type(std::string_view value, std::string &boundary)
{
    std::string_view type, subtype;
    std::size_t pos;
    if (!parse_media_type(value, type, subtype, pos) || !iequals(type, "multipart")
        || !iequals(subtype, "form-data")) {
        return FormError::not_form_data;
    }
    std::vector<Param> params;
    if (!parse_params(value, pos, params)) {
        return FormError::bad_boundary;
    }
    const Param *found = nullptr;
    for (const Param &p : params) {
        if (p.name == "boundary") {
            if (found) {
                return FormError::bad_boundary;   // which one? refuse
            }
            found = &p;
        }
    }
    if (!found) {
        return FormError::no_boundary;
    }
    if (!valid_boundary(found->value)) {
        return FormError::bad_boundary;
    }
    boundary = found->value;
    return FormError::ok;
}

bool is_form_content_type(std::string_view value)
{
    std::string_view type, subtype;
    std::size_t pos;
    return parse_media_type(value, type, subtype, pos) && iequals(type, "multipart")
           && iequals(subtype, "form-data")
           && (pos == value.size() || is_ws(value[pos]) || value[pos] == ';');
}

// --- the parser ------------------------------------------------------------

FormParser::FormParser(std::string_view boundary, const FormLimits &limits)
    : limits_(limits)
{
    if (!valid_boundary(boundary)) {
        fail(FormError::bad_boundary);
        return;
    }
    delim_ = "\r\n--";
    delim_.append(boundary);
    // The first delimiter may open the body without a CRLF: as if one came
    // before it (RFC 2046: "[preamble CRLF] dash-boundary").
    hold_ = "\r\n";
}

void FormParser::feed(const char *p, std::size_t n)
{
    if (state_ == State::failed || n == 0) {
        return;
    }
    if (finished_ || in_len_ > 0) {
        fail(FormError::misuse);
        return;
    }
    in_ = p;
    in_len_ = n;
}

void FormParser::finish()
{
    finished_ = true;
}

FormEvent FormParser::fail(FormError e)
{
    state_ = State::failed;
    error_ = e;
    data_ = {};
    return FormEvent::error;
}

void FormParser::consume(std::size_t n)
{
    in_ += n;
    in_len_ -= n;
    offset_ += n;
}

FormEvent FormParser::at_end_of_input()
{
    if (!finished_) {
        return FormEvent::need_input;
    }
    switch (state_) {
    case State::preamble:
        return fail(FormError::no_first_delimiter);
    case State::close_padding:
    case State::epilogue:
        state_ = State::done;
        return FormEvent::end;
    case State::close_lf:
        return fail(FormError::bad_delimiter);   // "--boundary--" CR at the end
    default:
        return fail(FormError::truncated);
    }
}

FormEvent FormParser::next()
{
    if (release_hold_) {
        hold_.clear();
        release_hold_ = false;
    }
    data_ = {};

    for (;;) {
        std::optional<FormEvent> ev;
        switch (state_) {
        case State::failed:
            return FormEvent::error;
        case State::done:
            return FormEvent::end;
        case State::preamble:
        case State::body:
            ev = scan();
            break;
        case State::boundary_tail:
        case State::close_dash:
        case State::padding:
        case State::padding_lf:
            ev = after_delimiter();
            break;
        case State::headers:
            ev = headers();
            break;
        case State::close_padding:
        case State::close_lf:
        case State::epilogue:
            ev = closing();
            break;
        }
        if (ev) {
            return *ev;
        }
    }
}

// The delimiter begins with the only CR it holds, so at most one place at the
// end of the input can be its beginning, and held bytes that turn out not to
// be the delimiter cannot hold the start of another one.
std::optional<FormEvent> FormParser::scan()
{
    const bool body = state_ == State::body;
    const std::size_t len = delim_.size();

    if (!hold_.empty()) {
        const std::size_t held = hold_.size();
        const std::size_t need = len - held;
        std::size_t k = 0;
        while (k < need && k < in_len_ && in_[k] == delim_[held + k]) {
            k++;
        }
        if (k == need) {   // the delimiter, across pieces
            consume(need);
            hold_.clear();
            return delimiter();
        }
        if (k == in_len_) {   // still a beginning of it
            hold_.append(in_, k);
            consume(k);
            return at_end_of_input();
        }
        // not the delimiter: the held bytes were data (or preamble); the
        // input is scanned again from its start
        if (body) {
            data_ = hold_;
            release_hold_ = true;
            return FormEvent::data;
        }
        preamble_ += held;
        hold_.clear();
        return preamble_ > limits_.max_preamble + 2 ? fail(FormError::preamble_too_long)
                                                    : std::optional<FormEvent>();
    }

    if (in_len_ == 0) {
        return at_end_of_input();
    }

    std::size_t at;
    bool whole = false;
    const void *hit = memmem(in_, in_len_, delim_.data(), len);
    if (hit) {
        at = static_cast<std::size_t>(static_cast<const char *>(hit) - in_);
        whole = true;
    } else {
        at = tail_candidate();
    }

    if (at > 0) {
        if (body) {
            data_ = std::string_view(in_, at);
            consume(at);
            return FormEvent::data;
        }
        preamble_ += at;
        consume(at);
        return preamble_ > limits_.max_preamble + 2 ? fail(FormError::preamble_too_long)
                                                    : std::optional<FormEvent>();
    }
    if (whole) {
        consume(len);
        return delimiter();
    }
    hold_.assign(in_, in_len_);   // a beginning of the delimiter at the end
    consume(in_len_);
    return at_end_of_input();
}

// Where, in the input's last len - 1 bytes, a beginning of the delimiter runs
// to the end of the input; in_len_ when nowhere.
std::size_t FormParser::tail_candidate() const
{
    const std::size_t len = delim_.size();
    std::size_t at = in_len_ >= len ? in_len_ - (len - 1) : 0;
    while (at < in_len_) {
        const void *cr = std::memchr(in_ + at, '\r', in_len_ - at);
        if (!cr) {
            break;
        }
        at = static_cast<std::size_t>(static_cast<const char *>(cr) - in_);
        if (std::memcmp(in_ + at, delim_.data(), in_len_ - at) == 0) {
            return at;
        }
        at++;
    }
    return in_len_;
}

std::optional<FormEvent> FormParser::delimiter()
{
    const bool in_part = state_ == State::body;
    state_ = State::boundary_tail;
    header_bytes_ = 0;
    return in_part ? std::optional<FormEvent>(FormEvent::part_end) : std::nullopt;
}

// After "--boundary": "--" closes the body; otherwise transport padding
// (spaces and tabs) and CRLF open the next part.
std::optional<FormEvent> FormParser::after_delimiter()
{
    while (in_len_ > 0) {
        const char c = in_[0];
        switch (state_) {
        case State::boundary_tail:
            if (c == '-') {
                state_ = State::close_dash;
            } else if (is_ws(c)) {
                state_ = State::padding;
            } else if (c == '\r') {
                state_ = State::padding_lf;
            } else {
                return fail(FormError::bad_delimiter);
            }
            break;
        case State::close_dash:
            if (c != '-') {
                return fail(FormError::bad_delimiter);
            }
            state_ = State::close_padding;
            epilogue_ = 0;
            consume(1);
            return std::nullopt;
        case State::padding:
            if (c == '\r') {
                state_ = State::padding_lf;
            } else if (!is_ws(c)) {
                return fail(FormError::bad_delimiter);
            }
            break;
        default:   // padding_lf
            if (c != '\n') {
                return fail(FormError::bad_delimiter);
            }
            break;
        }
        consume(1);
        if (state_ != State::close_dash && ++header_bytes_ > limits_.max_header_bytes) {
            return fail(FormError::headers_too_long);
        }
        if (c == '\n') {
            return begin_part();
        }
    }
    return at_end_of_input();
}

std::optional<FormEvent> FormParser::begin_part()
{
    if (++parts_ > limits_.max_parts) {
        return fail(FormError::too_many_parts);
    }
    part_ = FormPart();
    part_.index = parts_ - 1;
    line_.clear();
    seen_disposition_ = seen_type_ = seen_encoding_ = false;
    state_ = State::headers;
    return std::nullopt;
}

// After "--boundary--": padding, then the end or CRLF and an epilogue, all
// of it within max_epilogue.
std::optional<FormEvent> FormParser::closing()
{
    while (in_len_ > 0) {
        if (state_ == State::epilogue) {
            epilogue_ += in_len_;
            consume(in_len_);
        } else {
            const char c = in_[0];
            if (state_ == State::close_padding && c == '\r') {
                state_ = State::close_lf;
            } else if (state_ == State::close_lf && c == '\n') {
                state_ = State::epilogue;
            } else if (state_ != State::close_padding || !is_ws(c)) {
                return fail(FormError::bad_delimiter);
            }
            epilogue_++;
            consume(1);
        }
        if (epilogue_ > limits_.max_epilogue) {
            return fail(FormError::epilogue_too_long);
        }
    }
    return at_end_of_input();
}

std::optional<FormEvent> FormParser::headers()
{
    while (in_len_ > 0) {
        // never look past the limit: the error must not depend on the pieces
        const std::size_t budget = limits_.max_header_bytes - header_bytes_;
        const std::size_t n = std::min(in_len_, budget);
        const void *lf = std::memchr(in_, '\n', n);
        if (!lf) {
            if (in_len_ > budget) {
                return fail(FormError::headers_too_long);
            }
            line_.append(in_, n);
            header_bytes_ += n;
            consume(n);
            break;
        }
        const std::size_t k = static_cast<std::size_t>(static_cast<const char *>(lf) - in_) + 1;
        line_.append(in_, k - 1);
        header_bytes_ += k;
        consume(k);

        if (line_.empty() || line_.back() != '\r') {
            return fail(FormError::header_bad_byte);   // a LF alone
        }
        line_.pop_back();
        FormError err;
        if (line_.empty()) {
            err = end_of_headers();
            if (err != FormError::ok) {
                return fail(err);
            }
            state_ = State::body;
            return FormEvent::part_begin;
        }
        err = header_line(line_);
        line_.clear();
        if (err != FormError::ok) {
            return fail(err);
        }
    }
    return at_end_of_input();
}

FormError FormParser::header_line(std::string_view line)
{
    for (char c : line) {
        if (!is_value_byte(static_cast<unsigned char>(c))) {
            return FormError::header_bad_byte;
        }
    }
    if (is_ws(line[0])) {
        return FormError::header_obs_fold;
    }
    std::size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) {
        return FormError::header_syntax;
    }
    std::string_view name = line.substr(0, colon);
    for (char c : name) {
        if (!is_tchar(static_cast<unsigned char>(c))) {
            return FormError::header_syntax;
        }
    }
    std::string_view value = trim(line.substr(colon + 1));
    if (part_.headers.size() >= limits_.max_headers) {
        return FormError::too_many_headers;
    }
    part_.headers.push_back(FormHeader{std::string(name), std::string(value)});

    // RFC 7578 4.8: other header fields are ignored (kept in the list only)
    if (iequals(name, "Content-Disposition")) {
        if (seen_disposition_) {
            return FormError::duplicate_header;
        }
        seen_disposition_ = true;
        return parse_disposition(value, part_);
    }
    if (iequals(name, "Content-Type")) {
        if (seen_type_) {
            return FormError::duplicate_header;
        }
        seen_type_ = true;
        part_.content_type = std::string(value);
        return parse_part_type(value);
    }
    if (iequals(name, "Content-Transfer-Encoding")) {
        if (seen_encoding_) {
            return FormError::duplicate_header;
        }
        seen_encoding_ = true;
        return parse_transfer_encoding(value);
    }
    return FormError::ok;
}

FormError FormParser::end_of_headers()
{
    return seen_disposition_ ? FormError::ok : FormError::no_disposition;
}

bool FieldCollector::append(std::string_view bytes)
{
    if (over_ || bytes.size() > limit_ - value_.size()) {
        over_ = true;
        return false;
    }
    value_.append(bytes);
    return true;
}

FormError parse_content_disposition(std::string_view value, std::string &type,
                                    FormPart &part)
{
    std::string_view t;
    bool has_name = false;
    part = FormPart();
    FormError e = parse_disposition_fields(value, t, part, has_name);
    type.clear();
    for (char c : t) {
        type += to_lower(c);
    }
    return e;
}

}  // namespace bigupload
