/* RFC 9651 Structured Field Values: the RFC's examples (section 3), every
 * failing step of the parsing algorithms (section 4.2) and the serializer's
 * failures (section 4.1).  Section numbers are RFC 9651's. */
#include <string>
#include <vector>

#include "proto/sfv.hpp"

/* after the C++ headers: check.h defines macros such as fail() */
#include <check.h>
#include "check_cxx.h"

using namespace bigupload::sfv;

namespace {

Item parse_item_ok(const std::string &s)
{
    Item it;
    Status st = parse_item(s, it);
    ck_assert_msg(st.ok(), "\"%s\": %s at %zu", s.c_str(), error_message(st.error), st.offset);
    return it;
}

List parse_list_ok(const std::string &s)
{
    List l;
    Status st = parse_list(s, l);
    ck_assert_msg(st.ok(), "\"%s\": %s at %zu", s.c_str(), error_message(st.error), st.offset);
    return l;
}

Dictionary parse_dict_ok(const std::string &s)
{
    Dictionary d;
    Status st = parse_dictionary(s, d);
    ck_assert_msg(st.ok(), "\"%s\": %s at %zu", s.c_str(), error_message(st.error), st.offset);
    return d;
}

Item item_of(const Member &m)
{
    ck_assert(std::holds_alternative<Item>(m));
    return std::get<Item>(m);
}

InnerList inner_of(const Member &m)
{
    ck_assert(std::holds_alternative<InnerList>(m));
    return std::get<InnerList>(m);
}

std::string token_of(const BareItem &b)
{
    ck_assert(std::holds_alternative<Token>(b));
    return std::get<Token>(b).value;
}

std::string string_of(const BareItem &b)
{
    ck_assert(std::holds_alternative<String>(b));
    return std::get<String>(b).value;
}

std::int64_t integer_of(const BareItem &b)
{
    ck_assert(std::holds_alternative<Integer>(b));
    return std::get<Integer>(b).value;
}

}  // namespace

/* 3.1: "Example-List: sugar, tea, rum", also when sent on two lines */
START_TEST(test_list_of_tokens)
{
    List l = parse_list_ok("sugar, tea, rum");
    ck_assert_uint_eq(l.size(), 3);
    ck_assert_sstr_eq(token_of(item_of(l[0]).bare), "sugar");
    ck_assert_sstr_eq(token_of(item_of(l[1]).bare), "tea");
    ck_assert_sstr_eq(token_of(item_of(l[2]).bare), "rum");

    std::string joined = join_field_lines({"sugar, tea", "rum"});
    ck_assert_sstr_eq(joined, "sugar, tea, rum");
    ck_assert(parse_list_ok(joined) == l);
    ck_assert_sstr_eq(*serialize_list(l), "sugar, tea, rum");
}
END_TEST

/* 3.1.1: inner lists, the empty one included */
START_TEST(test_inner_lists)
{
    List l = parse_list_ok("(\"foo\" \"bar\"), (\"baz\"), (\"bat\" \"one\"), ()");
    ck_assert_uint_eq(l.size(), 4);
    InnerList a = inner_of(l[0]);
    ck_assert_uint_eq(a.items.size(), 2);
    ck_assert_sstr_eq(string_of(a.items[0].bare), "foo");
    ck_assert_sstr_eq(string_of(a.items[1].bare), "bar");
    ck_assert_uint_eq(inner_of(l[1]).items.size(), 1);
    ck_assert_uint_eq(inner_of(l[3]).items.size(), 0);
    ck_assert_sstr_eq(*serialize_list(l), "(\"foo\" \"bar\"), (\"baz\"), (\"bat\" \"one\"), ()");

    /* parameters on inner-list items and on the lists */
    l = parse_list_ok("(\"foo\"; a=1;b=2);lvl=5, (\"bar\" \"baz\");lvl=1");
    a = inner_of(l[0]);
    ck_assert_int_eq(integer_of(*find(a.items[0].params, "a")), 1);
    ck_assert_int_eq(integer_of(*find(a.items[0].params, "b")), 2);
    ck_assert_int_eq(integer_of(*find(a.params, "lvl")), 5);
    ck_assert_int_eq(integer_of(*find(inner_of(l[1]).params, "lvl")), 1);
    /* canonical form: no space after ";" */
    ck_assert_sstr_eq(*serialize_list(l), "(\"foo\";a=1;b=2);lvl=5, (\"bar\" \"baz\");lvl=1");
}
END_TEST

/* 3.1.2: parameters, Boolean true ones given by their key alone */
START_TEST(test_parameters)
{
    List l = parse_list_ok("abc;a=1;b=2; cde_456, (ghi;jk=4 l);q=\"9\";r=w");
    Item abc = item_of(l[0]);
    ck_assert_sstr_eq(token_of(abc.bare), "abc");
    ck_assert_uint_eq(abc.params.size(), 3);
    ck_assert_sstr_eq(abc.params[2].first, "cde_456");
    ck_assert(abc.params[2].second == BareItem(Boolean{true}));
    InnerList il = inner_of(l[1]);
    ck_assert_int_eq(integer_of(*find(il.items[0].params, "jk")), 4);
    ck_assert_sstr_eq(token_of(il.items[1].bare), "l");
    ck_assert_sstr_eq(string_of(*find(il.params, "q")), "9");
    ck_assert_sstr_eq(token_of(*find(il.params, "r")), "w");
    ck_assert_sstr_eq(*serialize_list(l), "abc;a=1;b=2;cde_456, (ghi;jk=4 l);q=\"9\";r=w");

    Item it = parse_item_ok("1; a; b=?0");
    ck_assert(*find(it.params, "a") == BareItem(Boolean{true}));
    ck_assert(*find(it.params, "b") == BareItem(Boolean{false}));
    ck_assert_sstr_eq(*serialize_item(it), "1;a;b=?0");

    /* 4.2.3.2 step 2.7: a repeated key keeps its first place, the last value */
    it = parse_item_ok("1;a=1;b=2;a=3");
    ck_assert_uint_eq(it.params.size(), 2);
    ck_assert_sstr_eq(it.params[0].first, "a");
    ck_assert_int_eq(integer_of(it.params[0].second), 3);
    ck_assert(find(it.params, "c") == nullptr);
}
END_TEST

/* 3.2: dictionaries */
START_TEST(test_dictionaries)
{
    Dictionary d = parse_dict_ok("en=\"Applepie\", da=:w4ZibGV0w6ZydGU=:");
    ck_assert_uint_eq(d.size(), 2);
    ck_assert_sstr_eq(string_of(*bare_of(*find(d, "en"))), "Applepie");
    const BareItem *da = bare_of(*find(d, "da"));
    ck_assert(std::holds_alternative<ByteSequence>(*da));
    ck_assert_sstr_eq(std::get<ByteSequence>(*da).bytes, "\xc3\x86" "blet\xc3\xa6rte");
    ck_assert_sstr_eq(*serialize_dictionary(d), "en=\"Applepie\", da=:w4ZibGV0w6ZydGU=:");

    /* a member without "=" is Boolean true, with its parameters */
    d = parse_dict_ok("a=?0, b, c; foo=bar");
    ck_assert(*bare_of(*find(d, "a")) == BareItem(Boolean{false}));
    ck_assert(*bare_of(*find(d, "b")) == BareItem(Boolean{true}));
    Item c = item_of(*find(d, "c"));
    ck_assert(c.bare == BareItem(Boolean{true}));
    ck_assert_sstr_eq(token_of(*find(c.params, "foo")), "bar");
    ck_assert_sstr_eq(*serialize_dictionary(d), "a=?0, b, c;foo=bar");

    d = parse_dict_ok("rating=1.5, feelings=(joy sadness)");
    ck_assert(*bare_of(*find(d, "rating")) == BareItem(Decimal{1500}));
    InnerList f = inner_of(*find(d, "feelings"));
    ck_assert_sstr_eq(token_of(f.items[1].bare), "sadness");

    d = parse_dict_ok("a=(1 2), b=3, c=4;aa=bb, d=(5 6);valid");
    ck_assert_uint_eq(d.size(), 4);
    ck_assert_sstr_eq(*serialize_dictionary(d), "a=(1 2), b=3, c=4;aa=bb, d=(5 6);valid");

    /* 3.2: one dictionary on two lines is the same as on one */
    ck_assert(parse_dict_ok(join_field_lines({"foo=1", "bar=2"})) == parse_dict_ok("foo=1, bar=2"));

    /* 4.2.2 step 2.4: a repeated key keeps its place, the last value wins */
    d = parse_dict_ok("a=1, b=2, a=3");
    ck_assert_uint_eq(d.size(), 2);
    ck_assert_sstr_eq(d[0].first, "a");
    ck_assert_int_eq(integer_of(*bare_of(d[0].second)), 3);

    /* 3.2: an empty dictionary is the field omitted */
    ck_assert_uint_eq(parse_dict_ok("").size(), 0);
    ck_assert_sstr_eq(*serialize_dictionary(Dictionary()), "");
    ck_assert_uint_eq(parse_list_ok("   ").size(), 0);
}
END_TEST

/* 3.3: one example per item type */
START_TEST(test_item_types)
{
    ck_assert(parse_item_ok("42").bare == BareItem(Integer{42}));
    ck_assert(parse_item_ok("-42").bare == BareItem(Integer{-42}));
    ck_assert(parse_item_ok("4.5").bare == BareItem(Decimal{4500}));
    ck_assert(parse_item_ok("-0.001").bare == BareItem(Decimal{-1}));
    ck_assert(parse_item_ok("\"hello world\"").bare == BareItem(String{"hello world"}));
    ck_assert(parse_item_ok("\"a\\\"b\\\\c\"").bare == BareItem(String{"a\"b\\c"}));
    ck_assert(parse_item_ok("foo123/456").bare == BareItem(Token{"foo123/456"}));
    ck_assert(parse_item_ok("*x:y").bare == BareItem(Token{"*x:y"}));
    ck_assert(parse_item_ok(":cHJldGVuZCB0aGlzIGlzIGJpbmFyeSBjb250ZW50Lg==:").bare
              == BareItem(ByteSequence{"pretend this is binary content."}));
    ck_assert(parse_item_ok("::").bare == BareItem(ByteSequence{""}));
    ck_assert(parse_item_ok("?1").bare == BareItem(Boolean{true}));
    ck_assert(parse_item_ok("?0").bare == BareItem(Boolean{false}));
    ck_assert(parse_item_ok("@1659578233").bare == BareItem(Date{1659578233}));
    ck_assert(parse_item_ok("%\"This is intended for display to %c3%bcsers.\"").bare
              == BareItem(DisplayString{"This is intended for display to \xc3\xbcsers."}));

    /* 2.1's example, with a parameter */
    Item it = parse_item_ok("2; foourl=\"https://foo.example.com/\"");
    ck_assert_int_eq(integer_of(it.bare), 2);
    ck_assert_sstr_eq(string_of(*find(it.params, "foourl")), "https://foo.example.com/");

    /* 4.2 steps 1 and 5: spaces before and after the value */
    ck_assert(parse_item_ok("  ?1  ").bare == BareItem(Boolean{true}));
    /* 4.2.1: OWS (tabs too) around list commas */
    ck_assert_uint_eq(parse_list_ok("1 ,\t2\t, 3").size(), 3);
}
END_TEST

/* 4.2.4: the number limits, exactly at and beyond them */
START_TEST(test_number_limits)
{
    ck_assert(parse_item_ok("999999999999999").bare == BareItem(Integer{max_integer}));
    ck_assert(parse_item_ok("-999999999999999").bare == BareItem(Integer{-max_integer}));
    ck_assert(parse_item_ok("000000000000001").bare == BareItem(Integer{1}));
    ck_assert(parse_item_ok("-0").bare == BareItem(Integer{0}));
    ck_assert(parse_item_ok("123456789012.123").bare == BareItem(Decimal{123456789012123}));
    ck_assert(parse_item_ok("0.1").bare == BareItem(Decimal{100}));
    ck_assert(parse_item_ok("1.10").bare == BareItem(Decimal{1100}));

    /* a Date's "@" at the very end: nothing past the value is read (this
     * "@" is followed by "-1" in memory, outside the field) */
    Item it;
    Status st = parse_item(std::string_view("@-1", 1), it);
    ck_assert(st.error == Error::number_no_digits);
    ck_assert_uint_eq(st.offset, 1);
}
END_TEST

static const struct {
    const char *type;       /* "item", "list" or "dict" */
    const char *input;
    Error error;
    std::size_t offset;
} bad[] = {
    /* 4.2 step 0: not ASCII */
    { "item", "\"\xc3\xbc\"", Error::not_ascii, 1 },
    /* 4.2 step 6 */
    { "item", "1 2", Error::trailing_characters, 2 },
    { "item", "1,2", Error::trailing_characters, 1 },
    { "item", "\t1", Error::item_unknown_type, 0 },          /* only SP is skipped */
    { "item", "", Error::item_missing, 0 },
    { "item", "   ", Error::item_missing, 3 },
    /* 4.2.3.1 step 8 */
    { "item", "&", Error::item_unknown_type, 0 },
    { "item", "Ab", Error::none, 0 },                         /* tokens may start uppercase */
    { "list", "1, ,2", Error::item_unknown_type, 3 },
    /* 4.2.1 steps 2.4 and 2.6 */
    { "list", "1 2", Error::expected_comma, 2 },
    { "list", "1,", Error::trailing_comma, 2 },
    { "list", "1, ", Error::trailing_comma, 3 },
    { "list", ",1", Error::item_unknown_type, 0 },
    /* 4.2.1.2 steps 3.5 and 4 */
    { "list", "(1,2)", Error::inner_list_separator, 2 },
    { "list", "(1 2", Error::inner_list_unterminated, 4 },
    { "list", "(", Error::inner_list_unterminated, 1 },
    { "list", "(1\t2)", Error::inner_list_separator, 2 },
    /* 4.2.2 steps 2.8 and 2.10, 4.2.3.3 step 1 */
    { "dict", "a=1 b=2", Error::expected_comma, 4 },
    { "dict", "a=1,", Error::trailing_comma, 4 },
    { "dict", "A=1", Error::key_invalid, 0 },
    { "dict", "1=1", Error::key_invalid, 0 },
    { "dict", "a=1, =2", Error::key_invalid, 5 },
    { "dict", "a= 1", Error::item_unknown_type, 2 },
    { "dict", "a=", Error::item_missing, 2 },
    { "item", "1;A=1", Error::key_invalid, 2 },
    { "item", "1;", Error::key_invalid, 2 },
    { "item", "1;a=", Error::item_missing, 4 },
    { "item", "1;a=(1)", Error::item_unknown_type, 4 },       /* parameters are bare items */
    /* 4.2.4 */
    { "item", "-", Error::number_no_digits, 1 },
    { "item", "-a", Error::number_no_digits, 1 },
    { "item", "- 1", Error::number_no_digits, 1 },
    { "item", "1000000000000000", Error::integer_too_long, 16 },
    { "item", "-1000000000000000", Error::integer_too_long, 17 },
    { "item", "1234567890123.0", Error::decimal_integer_too_long, 13 },
    { "item", "123456789012.1234", Error::decimal_too_long, 17 },
    { "item", "1.", Error::decimal_ends_with_dot, 2 },
    { "item", "1.1234", Error::decimal_fraction_too_long, 6 },
    { "item", "1.2.3", Error::trailing_characters, 3 },
    /* 4.2.5 */
    { "item", "\"a\\b\"", Error::string_bad_escape, 3 },
    { "item", "\"a\\", Error::string_bad_escape, 3 },
    { "item", "\"a\tb\"", Error::string_bad_char, 2 },
    { "item", "\"a\x7f\"", Error::string_bad_char, 2 },
    { "item", "\"abc", Error::string_unterminated, 4 },
    /* 4.2.7 */
    { "item", ":aGVsbG8=", Error::byte_sequence_unterminated, 1 },
    { "item", ":aGVsb G8=:", Error::byte_sequence_bad_char, 6 },
    { "item", ":_-Ah:", Error::byte_sequence_bad_char, 1 },    /* base64url is not base64 */
    { "item", ":aGVs=G8=:", Error::byte_sequence_bad_base64, 1 },
    { "item", ":a:", Error::byte_sequence_bad_base64, 1 },
    { "item", ":aGVsbG8===:", Error::byte_sequence_bad_base64, 1 },
    /* 4.2.8 */
    { "item", "?", Error::boolean_bad_value, 1 },
    { "item", "?2", Error::boolean_bad_value, 1 },
    { "item", "?true", Error::boolean_bad_value, 1 },
    /* 4.2.9 */
    { "item", "@1.5", Error::date_not_integer, 1 },
    { "item", "@", Error::number_no_digits, 1 },
    { "item", "@x", Error::number_no_digits, 1 },
    /* 4.2.10 */
    { "item", "%abc", Error::display_string_no_quote, 0 },
    { "item", "%", Error::display_string_no_quote, 0 },
    { "item", "%\"a\tb\"", Error::display_string_bad_char, 3 },
    { "item", "%\"%C3%BC\"", Error::display_string_bad_escape, 3 },
    { "item", "%\"%c\"", Error::display_string_bad_escape, 3 },
    { "item", "%\"%ff\"", Error::display_string_not_utf8, 2 },
    { "item", "%\"%c0%af\"", Error::display_string_not_utf8, 2 },     /* overlong "/" */
    { "item", "%\"%ed%a0%80\"", Error::display_string_not_utf8, 2 },  /* a surrogate */
    { "item", "%\"%f4%90%80%80\"", Error::display_string_not_utf8, 2 },/* above U+10FFFF */
    { "item", "%\"%c3\"", Error::display_string_not_utf8, 2 },        /* truncated */
    { "item", "%\"abc", Error::display_string_unterminated, 5 },
};

START_TEST(test_parse_failures)
{
    const auto &c = bad[_i];
    std::string type = c.type;
    Status st;
    if (type == "item") {
        Item it;
        st = parse_item(c.input, it);
    } else if (type == "list") {
        List l;
        st = parse_list(c.input, l);
    } else {
        Dictionary d;
        st = parse_dictionary(c.input, d);
    }
    ck_assert_msg(st.error == c.error, "%s \"%s\": got \"%s\", expected \"%s\"", c.type, c.input,
                  error_message(st.error), error_message(c.error));
    if (c.error != Error::none) {
        ck_assert_msg(st.offset == c.offset, "%s \"%s\": offset %zu, expected %zu", c.type,
                      c.input, st.offset, c.offset);
    }
}
END_TEST

/* 4.2.7: padding may be missing and pad bits non-zero (SHOULD NOT fail) */
START_TEST(test_byte_sequence_leniency)
{
    ck_assert(parse_item_ok(":aGVsbG8:").bare == BareItem(ByteSequence{"hello"}));
    ck_assert(parse_item_ok(":iZ==:").bare == BareItem(ByteSequence{"\x89"}));
    ck_assert(parse_item_ok(":iZ:").bare == BareItem(ByteSequence{"\x89"}));
    ck_assert_sstr_eq(*serialize_item(parse_item_ok(":aGVsbG8:")), ":aGVsbG8=:");
    ck_assert_sstr_eq(*serialize_item(parse_item_ok(":iZ==:")), ":iQ==:");
}
END_TEST

/* 4.1: what the serializer refuses, and its canonical forms */
START_TEST(test_serialize)
{
    ck_assert_sstr_eq(*serialize_bare_item(Integer{max_integer}), "999999999999999");
    ck_assert(!serialize_bare_item(Integer{max_integer + 1}));
    ck_assert(!serialize_bare_item(Integer{-max_integer - 1}));
    ck_assert_sstr_eq(*serialize_bare_item(Decimal{1500}), "1.5");
    ck_assert_sstr_eq(*serialize_bare_item(Decimal{0}), "0.0");
    ck_assert_sstr_eq(*serialize_bare_item(Decimal{-1}), "-0.001");
    ck_assert_sstr_eq(*serialize_bare_item(Decimal{1230}), "1.23");
    ck_assert_sstr_eq(*serialize_bare_item(Decimal{999999999999999}), "999999999999.999");
    ck_assert(!serialize_bare_item(Decimal{1000000000000000}));
    ck_assert_sstr_eq(*serialize_bare_item(String{"say \"hi\" \\o/"}), "\"say \\\"hi\\\" \\\\o/\"");
    ck_assert(!serialize_bare_item(String{"line\nbreak"}));
    ck_assert(!serialize_bare_item(String{"\xc3\xbc"}));
    ck_assert(!serialize_bare_item(Token{""}));
    ck_assert(!serialize_bare_item(Token{"1abc"}));
    ck_assert(!serialize_bare_item(Token{"a b"}));
    ck_assert_sstr_eq(*serialize_bare_item(ByteSequence{""}), "::");
    ck_assert_sstr_eq(*serialize_bare_item(Date{-1}), "@-1");
    ck_assert(!serialize_bare_item(Date{max_integer + 1}));
    ck_assert_sstr_eq(*serialize_bare_item(DisplayString{"100% \"\xc3\xbc\"\n"}),
                      "%\"100%25 %22%c3%bc%22%0a\"");
    ck_assert(!serialize_bare_item(DisplayString{"\xff"}));

    /* keys: lcalpha or "*" first, then lcalpha, digits, "_-.*" */
    Dictionary d;
    set(d, "*a_b-c.d9", Item{Integer{1}, {}});
    ck_assert_sstr_eq(*serialize_dictionary(d), "*a_b-c.d9=1");
    for (const char *k : { "", "A", "9a", "a b", "a=" }) {
        Dictionary bad_key;
        set(bad_key, k, Item{Integer{1}, {}});
        ck_assert_msg(!serialize_dictionary(bad_key), "key \"%s\"", k);
        Item it{Integer{1}, {}};
        set(it.params, k, Boolean{true});
        ck_assert_msg(!serialize_item(it), "parameter key \"%s\"", k);
    }

    /* a Boolean true member or parameter has no "=?1"; false has */
    Dictionary flags;
    set(flags, "a", Item{Boolean{true}, {{"p", Boolean{true}}, {"q", Boolean{false}}}});
    set(flags, "b", Item{Boolean{false}, {}});
    ck_assert_sstr_eq(*serialize_dictionary(flags), "a;p;q=?0, b=?0");

    /* set() overwrites in place */
    set(flags, "a", Item{Integer{7}, {}});
    ck_assert_sstr_eq(*serialize_dictionary(flags), "a=7, b=?0");
}
END_TEST

/* parse(serialize(x)) == x for a value of every type and shape */
START_TEST(test_round_trip)
{
    Dictionary d;
    set(d, "i", Item{Integer{-max_integer}, {{"p", Decimal{-123456789012345}}}});
    set(d, "s", Item{String{" \"\\~"}, {}});
    set(d, "t", Item{Token{"*/:!#$%&'*+-.^_`|~"}, {}});
    set(d, "b", Item{ByteSequence{std::string("\0\xff\x10", 3)}, {}});
    set(d, "d", Item{Date{1659578233}, {}});
    set(d, "u", Item{DisplayString{"\xe2\x82\xac %\""}, {}});
    set(d, "l", InnerList{{Item{Boolean{false}, {}}, Item{Integer{0}, {{"x", Token{"y"}}}}},
                          {{"z", Boolean{true}}}});
    set(d, "e", InnerList{});
    std::string s = *serialize_dictionary(d);
    ck_assert(parse_dict_ok(s) == d);
    ck_assert_sstr_eq(*serialize_dictionary(parse_dict_ok(s)), s);
}
END_TEST

Suite *sfv_suite(void)
{
    Suite *s = suite_create("sfv");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, test_list_of_tokens);
    tcase_add_test(tc, test_inner_lists);
    tcase_add_test(tc, test_parameters);
    tcase_add_test(tc, test_dictionaries);
    tcase_add_test(tc, test_item_types);
    tcase_add_test(tc, test_number_limits);
    tcase_add_loop_test(tc, test_parse_failures, 0, (int) (sizeof(bad) / sizeof(bad[0])));
    tcase_add_test(tc, test_byte_sequence_leniency);
    tcase_add_test(tc, test_serialize);
    tcase_add_test(tc, test_round_trip);
    suite_add_tcase(s, tc);

    return s;
}
