// Fuzz target: If-Match / If-None-Match (engine/store: parse_preconditions).
//
// Input: field lines, one per LF; a line starting with "n" is the
// If-None-Match header, any other the If-Match one, its value after that
// first byte ("m\"a\", W/\"b\"").  A header given twice is not looked at
// (nginx refuses it).  Properties:
// - what is accepted is, for each header, "*" alone (its *_any), or
//   entity-tags, each [W/] DQUOTE *etagc DQUOTE and nothing else (RFC 9110
//   8.8.3), at least one, in the order given;
// - the tags joined with ", " parse back to the same tags; with ", *" added
//   they are refused (a list is "*" or tags, never both);
// - a refusal names the header, its value (a view into the input) and a
//   reason starting with the header's name; an empty value is refused, and
//   the form where an empty value is an absent header agrees otherwise.
//
// Built and run by mk/fuzz.mk (make fuzz; make fuzz-build, then
// build-fuzz/fuzz_preconditions fuzz/corpus/preconditions), from these sources:
// fuzz-sources: ngx_module/core/engine/store.cpp ngx_module/core/base/path.cpp
// fuzz-options: -max_len=512
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/store.hpp"
#include "fuzz_check.hpp"

using namespace bigupload;

namespace {

using Field = std::optional<std::string_view>;

bool tag_ok(std::string_view t)
{
    if (t.substr(0, 2) == "W/") {
        t.remove_prefix(2);
    }
    if (t.size() < 2 || t.front() != '"' || t.back() != '"') {
        return false;
    }
    for (unsigned char c : t.substr(1, t.size() - 2)) {
        if (c <= 0x20 || c == '"' || c == 0x7f) {
            return false;
        }
    }
    return true;
}

std::string joined(const std::vector<std::string> &tags)
{
    std::string s;
    for (const std::string &t : tags) {
        s += (s.empty() ? "" : ", ") + t;
    }
    return s;
}

bool is_star(std::string_view v)
{
    std::size_t a = v.find_first_not_of(" \t"), b = v.find_last_not_of(" \t");
    return a != std::string_view::npos && v.substr(a, b - a + 1) == "*";
}

// Parses "value" as one header (the other absent).
bool parse_one(bool im, Field value, Preconditions &pre, PreconditionRefusal &why)
{
    return parse_preconditions(im ? value : std::nullopt, im ? std::nullopt : value, pre, why);
}

// One header's part of what was accepted.
void check_one(Field value, bool any, const std::vector<std::string> &tags, bool im)
{
    if (!value) {
        fuzz_check(!any && tags.empty());
        return;
    }
    fuzz_check(any == is_star(*value));
    fuzz_check(any == tags.empty());
    for (const std::string &t : tags) {
        fuzz_check(tag_ok(t));
    }
    if (any) {
        return;
    }

    Preconditions again;
    PreconditionRefusal why;
    std::string list = joined(tags);
    fuzz_check(parse_one(im, Field(list), again, why));
    fuzz_check((im ? again.if_match_etags : again.if_none_match_etags) == tags);

    std::string with_star = std::string(*value) + ", *";
    fuzz_check(!parse_one(im, Field(with_star), again, why));
    fuzz_check(why.header == std::string_view(im ? "If-Match" : "If-None-Match"));
    fuzz_check(why.value.data() == with_star.data());
}

bool within(std::string_view part, std::string_view whole)
{
    return part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    std::string_view in(reinterpret_cast<const char *>(data), size);
    Field im, inm;
    for (std::size_t at = 0; at < in.size();) {
        std::size_t nl = in.find('\n', at);
        std::string_view line = in.substr(at, nl == std::string_view::npos ? nl : nl - at);
        Field &f = line.substr(0, 1) == "n" ? inm : im;
        if (f) {
            return 0;
        }
        f = line.substr(line.empty() ? 0 : 1);
        at = nl == std::string_view::npos ? in.size() : nl + 1;
    }

    Preconditions pre;
    PreconditionRefusal why;
    bool ok = parse_preconditions(im, inm, pre, why);

    if ((im && im->empty()) || (inm && inm->empty())) {
        fuzz_check(!ok);
    } else {
        Preconditions one;
        fuzz_check(parse_preconditions(im.value_or(""), inm.value_or(""), one) == ok);
    }

    if (!ok) {
        std::string_view header(why.header), detail(why.detail);
        fuzz_check(header == "If-Match" || header == "If-None-Match");
        fuzz_check(detail.substr(0, header.size() + 1) == std::string(header) + " ");
        fuzz_check(why.value == *(header == "If-Match" ? im : inm));
        fuzz_check(within(why.value, in));
        return 0;
    }
    check_one(im, pre.if_match_any, pre.if_match_etags, true);
    check_one(inm, pre.if_none_match_any, pre.if_none_match_etags, false);
    return 0;
}
