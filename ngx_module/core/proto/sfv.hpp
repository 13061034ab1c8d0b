// RFC 9651 Structured Field Values: the data model, the parsing algorithms of
// section 4.2 followed step by step (any deviation fails the whole field, as
// the RFC requires), and the serializing algorithms of section 4.1.
//
// The parsers take one field value.  A field sent on several lines must be
// combined first (section 4.2: "parsers MUST combine all field lines ... into
// one comma-separated field-value"); join_field_lines() does that.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace bigupload {
namespace sfv {

// --- the data model (RFC 9651 section 3) ------------------------------------

// Integers and Dates: at most 15 digits, |value| <= max_integer (3.3.1).
constexpr std::int64_t max_integer = 999999999999999;

struct Integer {
    std::int64_t value = 0;
    bool operator==(const Integer &o) const { return value == o.value; }
};

// A Decimal has at most 12 integer and 3 fractional digits (3.3.2), so it is
// held exactly as thousandths: 1.5 is {1500}, -0.001 is {-1}.
struct Decimal {
    std::int64_t thousandths = 0;
    bool operator==(const Decimal &o) const { return thousandths == o.thousandths; }
};

struct String {               // printable ASCII (%x20-7E), unescaped
    std::string value;
    bool operator==(const String &o) const { return value == o.value; }
};

struct Token {
    std::string value;
    bool operator==(const Token &o) const { return value == o.value; }
};

struct ByteSequence {         // the decoded bytes
    std::string bytes;
    bool operator==(const ByteSequence &o) const { return bytes == o.bytes; }
};

struct Boolean {
    bool value = false;
    bool operator==(const Boolean &o) const { return value == o.value; }
};

struct Date {                 // seconds since the epoch (3.3.7)
    std::int64_t seconds = 0;
    bool operator==(const Date &o) const { return seconds == o.seconds; }
};

struct DisplayString {        // Unicode text, held as valid UTF-8 (3.3.8)
    std::string utf8;
    bool operator==(const DisplayString &o) const { return utf8 == o.utf8; }
};

using BareItem = std::variant<Integer, Decimal, String, Token, ByteSequence, Boolean, Date,
                              DisplayString>;

// Ordered, keys unique (a later duplicate overwrites in place when parsing).
using Parameters = std::vector<std::pair<std::string, BareItem>>;

struct Item {
    BareItem bare;
    Parameters params;
    bool operator==(const Item &o) const { return bare == o.bare && params == o.params; }
};

struct InnerList {
    std::vector<Item> items;
    Parameters params;
    bool operator==(const InnerList &o) const
    {
        return items == o.items && params == o.params;
    }
};

// A List member or a Dictionary value.
using Member = std::variant<Item, InnerList>;

using List = std::vector<Member>;

// Ordered, keys unique.  A member given without "=" is Boolean true with
// the parameters that followed its key (4.2.2 step 2.3).
using Dictionary = std::vector<std::pair<std::string, Member>>;

// --- parsing (RFC 9651 section 4.2) -------------------------------------------

// Why a field failed, named after the step of the RFC's algorithm that fails.
enum class Error {
    none,
    not_ascii,                     // 4.2 step 0: a byte above 0x7F
    trailing_characters,           // 4.2 step 6: input left after the value
    item_missing,                  // 4.2.3.1: nothing where an Item must start
    item_unknown_type,             // 4.2.3.1 step 8: no type starts with this character
    expected_comma,                // 4.2.1 step 2.4 / 4.2.2 step 2.8
    trailing_comma,                // 4.2.1 step 2.6 / 4.2.2 step 2.10
    inner_list_separator,          // 4.2.1.2 step 3.5: not SP or ")" after an item
    inner_list_unterminated,       // 4.2.1.2 step 4
    key_invalid,                   // 4.2.3.3 step 1: not lcalpha or "*"
    number_no_digits,              // 4.2.4 steps 5-6: "-" alone, or "-" + non-digit
    integer_too_long,              // 4.2.4 step 7.5: more than 15 digits
    decimal_integer_too_long,      // 4.2.4 step 7.3.1: more than 12 digits before "."
    decimal_too_long,              // 4.2.4 step 7.6: more than 16 characters
    decimal_ends_with_dot,         // 4.2.4 step 9.1
    decimal_fraction_too_long,     // 4.2.4 step 9.2: more than 3 digits after "."
    string_bad_escape,             // 4.2.5 step 4.2: "\" not before DQUOTE or "\"
    string_bad_char,               // 4.2.5 step 4.4: a control character or DEL
    string_unterminated,           // 4.2.5 step 5
    byte_sequence_unterminated,    // 4.2.7 step 3
    byte_sequence_bad_char,        // 4.2.7 step 6
    byte_sequence_bad_base64,      // 4.2.7 step 7
    boolean_bad_value,             // 4.2.8 step 5: "?" not followed by 0 or 1
    date_not_integer,              // 4.2.9 step 4
    display_string_no_quote,       // 4.2.10 step 0: "%" not followed by DQUOTE
    display_string_bad_char,       // 4.2.10 step 3.2
    display_string_bad_escape,     // 4.2.10 step 3.3: "%" not followed by 2 of 0-9a-f
    display_string_not_utf8,       // 4.2.10 step 3.4.1
    display_string_unterminated,   // 4.2.10 step 4
};

struct Status {
    Error error = Error::none;
    std::size_t offset = 0;        // where in the field value it failed
    bool ok() const { return error == Error::none; }
};

const char *error_message(Error e);

// Each parses a whole field value ("" is an empty List or Dictionary, and no
// Item).  On failure "out" is unspecified.
Status parse_item(std::string_view field, Item &out);
Status parse_list(std::string_view field, List &out);
Status parse_dictionary(std::string_view field, Dictionary &out);

// The field lines of one field combined as section 4.2 requires ("a, b").
std::string join_field_lines(const std::vector<std::string_view> &lines);

// --- serializing (RFC 9651 section 4.1) -----------------------------------------

// nullopt where the RFC says "fail serialization": an Integer or Date out of
// range, a Decimal with more than 12 integer digits, a String with a
// character outside %x20-7E, a Token or key of the wrong characters, a Display
// String that is not UTF-8.  Decimals are rounded to 3 digits already by
// their representation.
std::optional<std::string> serialize_bare_item(const BareItem &item);
std::optional<std::string> serialize_item(const Item &item);
std::optional<std::string> serialize_list(const List &list);
// An empty Dictionary serializes to "": the field is to be omitted (3.2).
std::optional<std::string> serialize_dictionary(const Dictionary &dict);

// --- access ------------------------------------------------------------------

// The member or parameter under "key", or nullptr.
const Member *find(const Dictionary &dict, std::string_view key);
const BareItem *find(const Parameters &params, std::string_view key);

// Sets "key": overwrites the value in place when present, appends otherwise
// (the order parsing gives duplicates).
void set(Dictionary &dict, std::string key, Member value);
void set(Parameters &params, std::string key, BareItem value);

// The bare item of an Item member, or nullptr for an Inner List.
const BareItem *bare_of(const Member &m);

}  // namespace sfv
}  // namespace bigupload
