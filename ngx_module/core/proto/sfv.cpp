#include "proto/sfv.hpp"

#include "base/base64.hpp"
#include "base/utf8.hpp"

namespace bigupload {
namespace sfv {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_lcalpha(char c) { return c >= 'a' && c <= 'z'; }
bool is_alpha(char c) { return is_lcalpha(c) || (c >= 'A' && c <= 'Z'); }

// RFC 9110 section 5.6.2
bool is_tchar(char c)
{
    switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
    case '-': case '.': case '^': case '_': case '`': case '|': case '~':
        return true;
    default:
        return is_digit(c) || is_alpha(c);
    }
}

bool is_key_char(char c)
{
    return is_lcalpha(c) || is_digit(c) || c == '_' || c == '-' || c == '.' || c == '*';
}

// %x00-1f or %x7f-ff: not VCHAR or SP
bool is_ctl_or_high(char c)
{
    unsigned char u = (unsigned char) c;
    return u < 0x20 || u >= 0x7f;
}

int hex_lower(char c)
{
    if (is_digit(c)) {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    return -1;
}

// The parsing algorithms of RFC 9651 section 4.2, over one field value.
// Each step that "fails parsing" records the error and where; callers
// return as soon as failed() is true.
class Parser {
public:
    explicit Parser(std::string_view s) : s_(s) {}

    bool failed() const { return st_.error != Error::none; }
    const Status &status() const { return st_; }
    bool empty() const { return pos_ >= s_.size(); }
    char peek() const { return s_[pos_]; }

    bool fail(Error e)
    {
        if (!failed()) {
            st_.error = e;
            st_.offset = pos_;
        }
        return false;
    }

    void skip_sp()
    {
        while (!empty() && peek() == ' ') {
            pos_++;
        }
    }

    void skip_ows()
    {
        while (!empty() && (peek() == ' ' || peek() == '\t')) {
            pos_++;
        }
    }

    // 4.2 step 0
    bool check_ascii()
    {
        for (std::size_t i = 0; i < s_.size(); i++) {
            if ((unsigned char) s_[i] > 0x7f) {
                pos_ = i;
                return fail(Error::not_ascii);
            }
        }
        return true;
    }

    // 4.2 steps 5-6
    bool finish()
    {
        skip_sp();
        return empty() || fail(Error::trailing_characters);
    }

    // 4.2.1
    bool list(List &out)
    {
        out.clear();
        while (!empty()) {
            Member m;
            if (!item_or_inner_list(m)) {
                return false;
            }
            out.push_back(std::move(m));
            if (!separator()) {
                return !failed();
            }
        }
        return true;
    }

    // 4.2.2
    bool dictionary(Dictionary &out)
    {
        out.clear();
        while (!empty()) {
            std::string k;
            if (!key(k)) {
                return false;
            }
            Member m;
            if (!empty() && peek() == '=') {
                pos_++;
                if (!item_or_inner_list(m)) {
                    return false;
                }
            } else {
                Item it;
                it.bare = Boolean{true};
                if (!parameters(it.params)) {
                    return false;
                }
                m = std::move(it);
            }
            set(out, std::move(k), std::move(m));
            if (!separator()) {
                return !failed();
            }
        }
        return true;
    }

    // 4.2.3
    bool item(Item &out)
    {
        return bare_item(out.bare) && parameters(out.params);
    }

private:
    // The end of a List or Dictionary member (4.2.1 steps 2.2-2.6, 4.2.2
    // steps 2.6-2.10): true when another member follows, false at the end
    // (and on failure).
    bool separator()
    {
        skip_ows();
        if (empty()) {
            return false;
        }
        if (peek() != ',') {
            return fail(Error::expected_comma);
        }
        pos_++;
        skip_ows();
        if (empty()) {
            return fail(Error::trailing_comma);
        }
        return true;
    }

    // 4.2.1.1
    bool item_or_inner_list(Member &out)
    {
        if (!empty() && peek() == '(') {
            InnerList il;
            if (!inner_list(il)) {
                return false;
            }
            out = std::move(il);
            return true;
        }
        Item it;
        if (!item(it)) {
            return false;
        }
        out = std::move(it);
        return true;
    }

    // 4.2.1.2
    bool inner_list(InnerList &out)
    {
        pos_++;                                     // "(" (the caller saw it)
        while (!empty()) {
            skip_sp();
            if (empty()) {
                break;
            }
            if (peek() == ')') {
                pos_++;
                return parameters(out.params);
            }
            Item it;
            if (!item(it)) {
                return false;
            }
            out.items.push_back(std::move(it));
            if (empty()) {
                break;
            }
            if (peek() != ' ' && peek() != ')') {
                return fail(Error::inner_list_separator);
            }
        }
        return fail(Error::inner_list_unterminated);
    }

    // 4.2.3.1
    bool bare_item(BareItem &out)
    {
        if (empty()) {
            return fail(Error::item_missing);
        }
        char c = peek();
        if (c == '-' || is_digit(c)) {
            return number(out);
        }
        if (c == '"') {
            String v;
            if (!string(v.value)) {
                return false;
            }
            out = std::move(v);
            return true;
        }
        if (c == '*' || is_alpha(c)) {
            Token v;
            token(v.value);
            out = std::move(v);
            return true;
        }
        if (c == ':') {
            ByteSequence v;
            if (!byte_sequence(v.bytes)) {
                return false;
            }
            out = std::move(v);
            return true;
        }
        if (c == '?') {
            Boolean v;
            if (!boolean(v.value)) {
                return false;
            }
            out = v;
            return true;
        }
        if (c == '@') {
            return date(out);
        }
        if (c == '%') {
            DisplayString v;
            if (!display_string(v.utf8)) {
                return false;
            }
            out = std::move(v);
            return true;
        }
        return fail(Error::item_unknown_type);
    }

    // 4.2.3.2
    bool parameters(Parameters &out)
    {
        out.clear();
        while (!empty() && peek() == ';') {
            pos_++;
            skip_sp();
            std::string k;
            if (!key(k)) {
                return false;
            }
            BareItem v = Boolean{true};
            if (!empty() && peek() == '=') {
                pos_++;
                if (!bare_item(v)) {
                    return false;
                }
            }
            set(out, std::move(k), std::move(v));
        }
        return true;
    }

    // 4.2.3.3
    bool key(std::string &out)
    {
        if (empty() || !(is_lcalpha(peek()) || peek() == '*')) {
            return fail(Error::key_invalid);
        }
        std::size_t start = pos_;
        while (!empty() && is_key_char(peek())) {
            pos_++;
        }
        out.assign(s_.substr(start, pos_ - start));
        return true;
    }

    // 4.2.4
    bool number(BareItem &out)
    {
        bool decimal = false;
        bool negative = false;
        std::size_t length = 0;          // characters of input_number
        std::size_t frac_digits = 0;
        std::int64_t int_part = 0, frac_part = 0;

        if (!empty() && peek() == '-') {          // a Date's "@" may end the input
            negative = true;
            pos_++;
        }
        if (empty() || !is_digit(peek())) {
            return fail(Error::number_no_digits);
        }
        while (!empty()) {
            char c = peek();
            if (is_digit(c)) {
                if (decimal) {
                    frac_part = frac_part * 10 + (c - '0');
                    frac_digits++;
                } else {
                    int_part = int_part * 10 + (c - '0');
                }
            } else if (!decimal && c == '.') {
                if (length > 12) {
                    return fail(Error::decimal_integer_too_long);
                }
                decimal = true;
            } else {
                break;
            }
            pos_++;
            length++;
            if (!decimal && length > 15) {
                return fail(Error::integer_too_long);
            }
            if (decimal && length > 16) {
                return fail(Error::decimal_too_long);
            }
        }
        if (!decimal) {
            out = Integer{negative ? -int_part : int_part};
            return true;
        }
        if (frac_digits == 0) {
            return fail(Error::decimal_ends_with_dot);
        }
        if (frac_digits > 3) {
            return fail(Error::decimal_fraction_too_long);
        }
        while (frac_digits < 3) {
            frac_part *= 10;
            frac_digits++;
        }
        std::int64_t t = int_part * 1000 + frac_part;
        out = Decimal{negative ? -t : t};
        return true;
    }

    // 4.2.5
    bool string(std::string &out)
    {
        pos_++;                                     // DQUOTE
        while (!empty()) {
            char c = s_[pos_++];
            if (c == '\\') {
                if (empty()) {
                    return fail(Error::string_bad_escape);
                }
                char n = s_[pos_];
                if (n != '"' && n != '\\') {
                    return fail(Error::string_bad_escape);
                }
                pos_++;
                out.push_back(n);
            } else if (c == '"') {
                return true;
            } else if (is_ctl_or_high(c)) {
                pos_--;
                return fail(Error::string_bad_char);
            } else {
                out.push_back(c);
            }
        }
        return fail(Error::string_unterminated);
    }

    // 4.2.6 (the caller saw ALPHA or "*", so it cannot fail)
    void token(std::string &out)
    {
        std::size_t start = pos_++;
        while (!empty() && (is_tchar(peek()) || peek() == ':' || peek() == '/')) {
            pos_++;
        }
        out.assign(s_.substr(start, pos_ - start));
    }

    // 4.2.7
    bool byte_sequence(std::string &out)
    {
        pos_++;                                     // ":"
        std::size_t end = s_.find(':', pos_);
        if (end == std::string_view::npos) {
            return fail(Error::byte_sequence_unterminated);
        }
        std::string_view b64 = s_.substr(pos_, end - pos_);
        for (std::size_t i = 0; i < b64.size(); i++) {
            char c = b64[i];
            if (!(is_alpha(c) || is_digit(c) || c == '+' || c == '/' || c == '=')) {
                pos_ += i;
                return fail(Error::byte_sequence_bad_char);
            }
        }
        std::optional<std::string> raw = base64_decode(b64, Base64Mode::lenient_padding);
        if (!raw) {
            return fail(Error::byte_sequence_bad_base64);
        }
        out = std::move(*raw);
        pos_ = end + 1;
        return true;
    }

    // 4.2.8
    bool boolean(bool &out)
    {
        pos_++;                                     // "?"
        if (!empty() && (peek() == '1' || peek() == '0')) {
            out = peek() == '1';
            pos_++;
            return true;
        }
        return fail(Error::boolean_bad_value);
    }

    // 4.2.9
    bool date(BareItem &out)
    {
        pos_++;                                     // "@"
        std::size_t at = pos_;
        BareItem n;
        if (!number(n)) {
            return false;
        }
        const Integer *i = std::get_if<Integer>(&n);
        if (i == nullptr) {
            pos_ = at;
            return fail(Error::date_not_integer);
        }
        out = Date{i->value};
        return true;
    }

    // 4.2.10
    bool display_string(std::string &out)
    {
        if (pos_ + 1 >= s_.size() || s_[pos_ + 1] != '"') {
            return fail(Error::display_string_no_quote);
        }
        pos_ += 2;
        std::size_t start = pos_;
        while (!empty()) {
            char c = s_[pos_];
            if (is_ctl_or_high(c)) {
                return fail(Error::display_string_bad_char);
            }
            pos_++;
            if (c == '%') {
                int hi = pos_ < s_.size() ? hex_lower(s_[pos_]) : -1;
                int lo = pos_ + 1 < s_.size() ? hex_lower(s_[pos_ + 1]) : -1;
                if (hi < 0 || lo < 0) {
                    return fail(Error::display_string_bad_escape);
                }
                out.push_back((char) (hi * 16 + lo));
                pos_ += 2;
            } else if (c == '"') {
                if (!valid_utf8(out)) {
                    pos_ = start;
                    return fail(Error::display_string_not_utf8);
                }
                return true;
            } else {
                out.push_back(c);
            }
        }
        return fail(Error::display_string_unterminated);
    }

    std::string_view s_;
    std::size_t pos_ = 0;
    Status st_;
};

template <class Parse>
Status run(std::string_view field, Parse parse)
{
    Parser p(field);
    if (p.check_ascii()) {
        p.skip_sp();
        if (parse(p)) {
            p.finish();
        }
    }
    return p.status();
}

// --- serializing --------------------------------------------------------------

bool ser_key(std::string_view k, std::string &out)
{
    if (k.empty() || !(is_lcalpha(k[0]) || k[0] == '*')) {
        return false;
    }
    for (char c : k) {
        if (!is_key_char(c)) {
            return false;
        }
    }
    out += k;
    return true;
}

void ser_integer_digits(std::int64_t v, std::string &out)
{
    if (v < 0) {
        out.push_back('-');
    }
    std::uint64_t u = v < 0 ? (std::uint64_t) 0 - (std::uint64_t) v : (std::uint64_t) v;
    char buf[24];
    std::size_t n = 0;
    do {
        buf[n++] = (char) ('0' + u % 10);
        u /= 10;
    } while (u != 0);
    while (n > 0) {
        out.push_back(buf[--n]);
    }
}

struct BareWriter {
    std::string &out;

    bool operator()(const Integer &v)
    {
        if (v.value > max_integer || v.value < -max_integer) {
            return false;
        }
        ser_integer_digits(v.value, out);
        return true;
    }

    bool operator()(const Decimal &v)
    {
        // 12 integer digits at most: |thousandths| < 10^15
        if (v.thousandths > max_integer || v.thousandths < -max_integer) {
            return false;
        }
        std::int64_t a = v.thousandths < 0 ? -v.thousandths : v.thousandths;
        if (v.thousandths < 0) {
            out.push_back('-');
        }
        ser_integer_digits(a / 1000, out);
        out.push_back('.');
        int frac = (int) (a % 1000);
        out.push_back((char) ('0' + frac / 100));
        if (frac % 100 != 0) {
            out.push_back((char) ('0' + frac / 10 % 10));
            if (frac % 10 != 0) {
                out.push_back((char) ('0' + frac % 10));
            }
        }
        return true;
    }

    bool operator()(const String &v)
    {
        std::string s = "\"";
        for (char c : v.value) {
            if (is_ctl_or_high(c)) {
                return false;
            }
            if (c == '\\' || c == '"') {
                s.push_back('\\');
            }
            s.push_back(c);
        }
        s.push_back('"');
        out += s;
        return true;
    }

    bool operator()(const Token &v)
    {
        if (v.value.empty() || !(is_alpha(v.value[0]) || v.value[0] == '*')) {
            return false;
        }
        for (char c : v.value) {
            if (!(is_tchar(c) || c == ':' || c == '/')) {
                return false;
            }
        }
        out += v.value;
        return true;
    }

    bool operator()(const ByteSequence &v)
    {
        out.push_back(':');
        out += base64_encode(v.bytes);
        out.push_back(':');
        return true;
    }

    bool operator()(const Boolean &v)
    {
        out += v.value ? "?1" : "?0";
        return true;
    }

    bool operator()(const Date &v)
    {
        if (v.seconds > max_integer || v.seconds < -max_integer) {
            return false;
        }
        out.push_back('@');
        ser_integer_digits(v.seconds, out);
        return true;
    }

    bool operator()(const DisplayString &v)
    {
        static const char hex[] = "0123456789abcdef";
        if (!valid_utf8(v.utf8)) {
            return false;
        }
        out += "%\"";
        for (char c : v.utf8) {
            unsigned char u = (unsigned char) c;
            if (u == 0x25 || u == 0x22 || u < 0x20 || u >= 0x7f) {
                out.push_back('%');
                out.push_back(hex[u >> 4]);
                out.push_back(hex[u & 15]);
            } else {
                out.push_back(c);
            }
        }
        out.push_back('"');
        return true;
    }
};

bool ser_bare(const BareItem &b, std::string &out)
{
    return std::visit(BareWriter{out}, b);
}

bool ser_params(const Parameters &ps, std::string &out)
{
    for (const auto &p : ps) {
        out.push_back(';');
        if (!ser_key(p.first, out)) {
            return false;
        }
        const Boolean *b = std::get_if<Boolean>(&p.second);
        if (b == nullptr || !b->value) {
            out.push_back('=');
            if (!ser_bare(p.second, out)) {
                return false;
            }
        }
    }
    return true;
}

bool ser_item(const Item &it, std::string &out)
{
    return ser_bare(it.bare, out) && ser_params(it.params, out);
}

bool ser_inner_list(const InnerList &il, std::string &out)
{
    out.push_back('(');
    for (std::size_t i = 0; i < il.items.size(); i++) {
        if (i != 0) {
            out.push_back(' ');
        }
        if (!ser_item(il.items[i], out)) {
            return false;
        }
    }
    out.push_back(')');
    return ser_params(il.params, out);
}

bool ser_member(const Member &m, std::string &out)
{
    if (const InnerList *il = std::get_if<InnerList>(&m)) {
        return ser_inner_list(*il, out);
    }
    return ser_item(std::get<Item>(m), out);
}

}  // namespace

const char *error_message(Error e)
{
    switch (e) {
    case Error::none: return "ok";
    case Error::not_ascii: return "a byte outside ASCII";
    case Error::trailing_characters: return "characters after the value";
    case Error::item_missing: return "an item is missing";
    case Error::item_unknown_type: return "no item type starts with this character";
    case Error::expected_comma: return "members not separated by a comma";
    case Error::trailing_comma: return "a comma after the last member";
    case Error::inner_list_separator: return "inner list items not separated by a space";
    case Error::inner_list_unterminated: return "an inner list without \")\"";
    case Error::key_invalid: return "a key not starting with a-z or \"*\"";
    case Error::number_no_digits: return "a number without digits";
    case Error::integer_too_long: return "an integer of more than 15 digits";
    case Error::decimal_integer_too_long: return "a decimal of more than 12 integer digits";
    case Error::decimal_too_long: return "a decimal of more than 16 characters";
    case Error::decimal_ends_with_dot: return "a decimal ending with \".\"";
    case Error::decimal_fraction_too_long: return "a decimal of more than 3 fractional digits";
    case Error::string_bad_escape: return "a string escape other than \\\" or \\\\";
    case Error::string_bad_char: return "a control character in a string";
    case Error::string_unterminated: return "a string without its closing quote";
    case Error::byte_sequence_unterminated: return "a byte sequence without its closing \":\"";
    case Error::byte_sequence_bad_char: return "a byte sequence with a non-base64 character";
    case Error::byte_sequence_bad_base64: return "a byte sequence that is not base64";
    case Error::boolean_bad_value: return "a boolean other than ?0 or ?1";
    case Error::date_not_integer: return "a date that is not an integer";
    case Error::display_string_no_quote: return "\"%\" not followed by a quote";
    case Error::display_string_bad_char: return "a control character in a display string";
    case Error::display_string_bad_escape: return "a display string escape other than %xx (0-9a-f)";
    case Error::display_string_not_utf8: return "a display string that is not UTF-8";
    case Error::display_string_unterminated: return "a display string without its closing quote";
    }
    return "unknown error";
}

Status parse_item(std::string_view field, Item &out)
{
    return run(field, [&](Parser &p) { return p.item(out); });
}

Status parse_list(std::string_view field, List &out)
{
    return run(field, [&](Parser &p) { return p.list(out); });
}

Status parse_dictionary(std::string_view field, Dictionary &out)
{
    return run(field, [&](Parser &p) { return p.dictionary(out); });
}

std::string join_field_lines(const std::vector<std::string_view> &lines)
{
    std::string out;
    for (std::size_t i = 0; i < lines.size(); i++) {
        if (i != 0) {
            out += ", ";
        }
        out += lines[i];
    }
    return out;
}

std::optional<std::string> serialize_bare_item(const BareItem &item)
{
    std::string out;
    if (!ser_bare(item, out)) {
        return std::nullopt;
    }
    return out;
}

std::optional<std::string> serialize_item(const Item &item)
{
    std::string out;
    if (!ser_item(item, out)) {
        return std::nullopt;
    }
    return out;
}

std::optional<std::string> serialize_list(const List &list)
{
    std::string out;
    for (std::size_t i = 0; i < list.size(); i++) {
        if (i != 0) {
            out += ", ";
        }
        if (!ser_member(list[i], out)) {
            return std::nullopt;
        }
    }
    return out;
}

std::optional<std::string> serialize_dictionary(const Dictionary &dict)
{
    std::string out;
    for (std::size_t i = 0; i < dict.size(); i++) {
        if (i != 0) {
            out += ", ";
        }
        if (!ser_key(dict[i].first, out)) {
            return std::nullopt;
        }
        const Member &m = dict[i].second;
        const Item *it = std::get_if<Item>(&m);
        const Boolean *b = it != nullptr ? std::get_if<Boolean>(&it->bare) : nullptr;
        if (b != nullptr && b->value) {
            if (!ser_params(it->params, out)) {
                return std::nullopt;
            }
            continue;
        }
        out.push_back('=');
        if (!ser_member(m, out)) {
            return std::nullopt;
        }
    }
    return out;
}

namespace {

// Dictionaries and Parameters are both ordered maps held as vectors of pairs.
template <class Map>
auto *find_in(Map &map, std::string_view key)
{
    for (auto &kv : map) {
        if (kv.first == key) {
            return &kv.second;
        }
    }
    return static_cast<decltype(&map.front().second)>(nullptr);
}

template <class Map, class Value>
void set_in(Map &map, std::string key, Value value)
{
    if (auto *v = find_in(map, key)) {
        *v = std::move(value);
    } else {
        map.emplace_back(std::move(key), std::move(value));
    }
}

}  // namespace

const Member *find(const Dictionary &dict, std::string_view key) { return find_in(dict, key); }

const BareItem *find(const Parameters &params, std::string_view key)
{
    return find_in(params, key);
}

void set(Dictionary &dict, std::string key, Member value)
{
    set_in(dict, std::move(key), std::move(value));
}

void set(Parameters &params, std::string key, BareItem value)
{
    set_in(params, std::move(key), std::move(value));
}

const BareItem *bare_of(const Member &m)
{
    const Item *it = std::get_if<Item>(&m);
    return it != nullptr ? &it->bare : nullptr;
}

}  // namespace sfv
}  // namespace bigupload
