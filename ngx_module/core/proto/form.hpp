// A streaming multipart/form-data parser (RFC 7578 over RFC 2046 5.1), for
// HTML form uploads: the nginx glue feeds it the request body in whatever
// pieces nginx hands over and pulls events from it, streaming each file part
// to the store and collecting the other fields.
//
// Pull-based, so a consumer can stop at any event (a file write on the thread
// pool) and continue later:
//
//     FormParser p(boundary);                 // from parse_form_content_type()
//     p.feed(buf, len);
//     for (;;) {
//         switch (p.next()) {
//         case FormEvent::need_input: ...feed the next piece, or p.finish()
//         case FormEvent::part_begin: ...p.part() has the part's headers
//         case FormEvent::data:       ...p.data(): bytes of the current part
//         case FormEvent::part_end:   ...
//         case FormEvent::end:        ...the whole body was valid: commit
//         case FormEvent::error:      ...p.error(): answer 400, remove files
//         }
//     }
//
// Strict: what a browser, curl or a WHATWG FormData sends is accepted, an
// envelope that is broken, ambiguous or beyond the limits is refused with its
// own error; nothing is guessed.  Any chunking of the same body gives the
// same events (only the cut of the data into data events differs).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bigupload {

enum class FormError {
    ok,
    // the request's Content-Type (parse_form_content_type)
    not_form_data,        // not multipart/form-data, or a malformed media type
    no_boundary,          // no boundary parameter
    bad_boundary,         // empty, over 70 characters, not bchars, ends in a
                          // space, or given twice
    // the envelope
    no_first_delimiter,   // the body ended before its first delimiter line
    preamble_too_long,    // more than FormLimits::max_preamble before it
    bad_delimiter,        // a boundary followed by something other than
                          // transport padding and CRLF, or "--" (the
                          // boundary inside the data, or a damaged line)
    too_many_parts,       // more than FormLimits::max_parts parts
    truncated,            // the body ended inside a part (no close delimiter)
    epilogue_too_long,    // more than FormLimits::max_epilogue after the close
                          // delimiter
    // a part's header block
    header_syntax,        // a line without a colon, or an empty or non-token
                          // field name (also a space before the colon)
    header_obs_fold,      // a line starting with a space or tab (obs-fold)
    header_bad_byte,      // a control character, a CR or LF alone
    headers_too_long,     // over FormLimits::max_header_bytes
    too_many_headers,     // over FormLimits::max_headers lines
    duplicate_header,     // Content-Disposition, Content-Type or
                          // Content-Transfer-Encoding twice
    no_disposition,       // no Content-Disposition
    bad_disposition,      // not "form-data", a malformed or repeated parameter
    no_name,              // Content-Disposition without name
    bad_filename_ext,     // filename* malformed, or a charset other than
                          // UTF-8 and ISO-8859-1, or a %00
    bad_part_type,        // a malformed Content-Type of a part
    nested_multipart,     // a part of type multipart/* (e.g. the deprecated
                          // multipart/mixed for several files): refused
    bad_transfer_encoding,// Content-Transfer-Encoding other than 7bit, 8bit,
                          // binary (the data would be stored encoded)
    // the caller
    misuse,               // feed() while input is still pending, or after
                          // finish()
};

// Short code ("form_bad_boundary") and human text for an error (stable: used
// in JSON bodies).
const char *form_error_code(FormError e);
const char *form_error_message(FormError e);

// Parses a request's Content-Type value, "multipart/form-data; boundary=..."
// (type and parameter names case-insensitive, the boundary a token or a
// quoted-string of 1..70 bchars, RFC 2046 5.1.1).  On ok, "boundary" holds it.
FormError parse_form_content_type(std::string_view value, std::string &boundary);

// Whether a Content-Type value names multipart/form-data at all (the glue's
// choice of the form front-end; the boundary is checked by the call above).
bool is_form_content_type(std::string_view value);

struct FormLimits {
    std::size_t max_parts = 1024;         // parts in one body
    std::size_t max_header_bytes = 8192;  // one part's header block, its CRLFs
                                          // and its delimiter line's padding
    std::size_t max_headers = 16;         // header lines of one part
    std::size_t max_preamble = 1024;      // bytes before the first delimiter
    std::size_t max_epilogue = 1024;      // bytes after "--boundary--",
                                          // its CRLF included
};

struct FormHeader {
    std::string name;    // as sent
    std::string value;   // as sent, without the surrounding whitespace
};

// The headers of the current part.
struct FormPart {
    std::size_t index = 0;          // 0 for the first part

    // Content-Disposition: form-data; name="..."; filename="..."
    std::string name;               // decoded quoted-string (or token), as
                                    // given: a browser's %22 / %0D%0A stay
    bool has_filename = false;      // a filename parameter, maybe empty (a
                                    // file input left empty sends "")
    std::string filename;           // decoded like name; a path to validate
    bool has_filename_ext = false;  // a filename* parameter (RFC 5987)
    std::string filename_ext;       // its value decoded into UTF-8

    std::string content_type;       // the part's Content-Type ("" when absent:
                                    // text/plain by RFC 7578)
    std::vector<FormHeader> headers;  // every header line, in order

    // A file part: it has a filename or filename* parameter.
    bool is_file() const { return has_filename || has_filename_ext; }

    // filename* when present (RFC 6266 4.3), else filename.
    const std::string &preferred_filename() const
    {
        return has_filename_ext ? filename_ext : filename;
    }
};

// A request's own Content-Disposition (RFC 6266), e.g. the IETF draft's
// "inline; filename=...": "type" lowercased, the filename parameters in
// "part" (its name too, when given).  bad_disposition or bad_filename_ext
// for a malformed value.
FormError parse_content_disposition(std::string_view value, std::string &type,
                                    FormPart &part);

enum class FormEvent {
    need_input,   // every fed byte is used: feed() more, or finish()
    part_begin,   // part() holds the new part's headers
    data,         // data() holds bytes of the current part (never empty)
    part_end,     // the current part's data is complete
    end,          // finish() was called and the body was valid to its end
    error,        // error() says why; stays so
};

class FormParser {
public:
    // "boundary" as returned by parse_form_content_type(); an invalid one puts
    // the parser into the bad_boundary error at once.
    explicit FormParser(std::string_view boundary, const FormLimits &limits = {});

    FormParser(const FormParser &) = delete;
    FormParser &operator=(const FormParser &) = delete;

    // Hands over the next piece of the body.  Allowed at the start and after
    // next() returned need_input; otherwise (or after finish()) the parser
    // fails with misuse.  The bytes are not copied: they must stay valid and
    // unchanged until next() returns need_input again.  n == 0 is a no-op.
    void feed(const char *p, std::size_t n);

    // Marks the end of the body (may follow feed() at once; next() then still
    // delivers the events of the fed bytes, then end or error).
    void finish();

    // The next event.  Cheap when called again after need_input, end, error.
    FormEvent next();

    // After data: the bytes.  They point into the fed buffer, except a few
    // bytes held back for a delimiter that did not come, which point into the
    // parser; either way valid until the next call of next().
    std::string_view data() const { return data_; }

    // After part_begin, until the next part_begin.
    const FormPart &part() const { return part_; }

    FormError error() const { return error_; }

    // Bytes of the body used so far (fed bytes that next() went past).
    std::size_t offset() const { return offset_; }

private:
    enum class State {
        preamble,        // looking for the first delimiter, discarding
        boundary_tail,   // just after "--boundary": "--", padding or CRLF
        close_dash,      // after "--boundary-": the second "-"
        padding,         // transport padding before the CRLF
        padding_lf,      // the LF of the delimiter line
        headers,         // a part's header lines
        body,            // a part's data, looking for the next delimiter
        close_padding,   // after "--boundary--": padding, then CRLF or end
        close_lf,        // the LF after the close delimiter
        epilogue,        // after the close delimiter's CRLF
        done,
        failed,
    };

    // Each step returns the event to hand out, or nullopt to go on.
    std::optional<FormEvent> scan();              // preamble and body
    std::optional<FormEvent> delimiter();         // found one
    std::optional<FormEvent> after_delimiter();   // boundary_tail .. padding_lf
    std::optional<FormEvent> begin_part();
    std::optional<FormEvent> headers();
    std::optional<FormEvent> closing();           // close_padding .. epilogue
    FormEvent at_end_of_input();
    FormEvent fail(FormError e);
    std::size_t tail_candidate() const;
    FormError header_line(std::string_view line);
    FormError end_of_headers();
    void consume(std::size_t n);

    std::string delim_;          // CRLF "--" boundary
    FormLimits limits_;
    State state_ = State::preamble;
    FormError error_ = FormError::ok;

    const char *in_ = nullptr;   // fed bytes not used yet
    std::size_t in_len_ = 0;
    bool finished_ = false;
    std::size_t offset_ = 0;

    // A proper prefix of delim_ seen at the end of the input so far.  Released
    // as data when the delimiter does not follow; release_hold_ clears it on
    // the next call (data_ may point into it until then).
    std::string hold_;
    bool release_hold_ = false;
    std::size_t preamble_ = 0;   // preamble bytes seen (plus the 2 of the
                                 // CRLF assumed before the body)

    std::size_t parts_ = 0;
    std::size_t header_bytes_ = 0;
    std::string line_;           // the header line being read
    bool seen_disposition_ = false;
    bool seen_type_ = false;
    bool seen_encoding_ = false;
    FormPart part_;

    std::size_t epilogue_ = 0;
    std::string_view data_;
};

// Collects a non-file field's value from its data events, up to a limit.
class FieldCollector {
public:
    explicit FieldCollector(std::size_t limit) : limit_(limit) {}

    // Appends; false (and nothing appended) when the value would exceed the
    // limit, which stays so until clear().
    bool append(std::string_view bytes);

    bool over() const { return over_; }
    const std::string &value() const { return value_; }
    void clear() { value_.clear(); over_ = false; }

private:
    std::size_t limit_;
    std::string value_;
    bool over_ = false;
};

}  // namespace bigupload
