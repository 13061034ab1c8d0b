/* The streaming multipart/form-data parser: real envelopes of curl, Chromium
 * and Node's FormData, every error, and every chunking. */
#include <string>
#include <vector>

#include "proto/form.hpp"

/* after the C++ headers: check.h defines macros such as fail() */
#include <check.h>
#include "check_cxx.h"

using namespace bigupload;

/* A literal's bytes, NULs included. */
template <std::size_t N>
static std::string bytes(const char (&s)[N])
{
    return std::string(s, N - 1);
}

/* --- a log of the events, the same for every chunking --------------------- */

static std::string escaped(std::string_view s)
{
    static const char hex[] = "0123456789abcdef";
    std::string out;
    for (unsigned char c : s) {
        if (c == '\r') {
            out += "\\r";
        } else if (c == '\n') {
            out += "\\n";
        } else if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c < 0x20 || c >= 0x7f) {
            out += "\\x";
            out += hex[c >> 4];
            out += hex[c & 15];
        } else {
            out += static_cast<char>(c);
        }
    }
    return out;
}

static std::string part_line(const FormPart &p)
{
    std::string s = "begin name=\"" + escaped(p.name) + "\"";
    if (p.has_filename) {
        s += " filename=\"" + escaped(p.filename) + "\"";
    }
    if (p.has_filename_ext) {
        s += " filename*=\"" + escaped(p.filename_ext) + "\"";
    }
    if (!p.content_type.empty()) {
        s += " type=\"" + escaped(p.content_type) + "\"";
    }
    return s + "\n";
}

/* Feeds the pieces in order, finishes, and logs every event; adjacent data
 * events are merged, so that the log does not depend on the pieces. */
static std::string run(std::string_view boundary, const std::vector<std::string> &pieces,
                       const FormLimits &limits = FormLimits())
{
    FormParser p(boundary, limits);
    std::string log, data;
    std::size_t next_piece = 0, fed = 0, index = 0;

    for (int guard = 0; guard < 1000000; guard++) {
        FormEvent ev = p.next();
        if (ev != FormEvent::data && ev != FormEvent::need_input && !data.empty()) {
            log += "data \"" + escaped(data) + "\"\n";
            data.clear();
        }
        switch (ev) {
        case FormEvent::need_input:
            if (next_piece < pieces.size()) {
                fed += pieces[next_piece].size();
                p.feed(pieces[next_piece].data(), pieces[next_piece].size());
                next_piece++;
            } else {
                p.finish();
            }
            break;
        case FormEvent::part_begin:
            ck_assert_uint_eq(p.part().index, index++);
            log += part_line(p.part());
            break;
        case FormEvent::data:
            ck_assert_uint_gt(p.data().size(), 0);
            data.append(p.data());
            break;
        case FormEvent::part_end:
            log += "part-end\n";
            break;
        case FormEvent::end:
            ck_assert_uint_eq(p.offset(), fed);
            ck_assert(p.next() == FormEvent::end);   /* stays */
            return log + "end\n";
        case FormEvent::error:
            ck_assert(p.next() == FormEvent::error);
            return log + "error " + form_error_code(p.error()) + "\n";
        }
    }
    ck_abort_msg("the parser does not come to an end");
    return log;
}

static std::string run_whole(std::string_view boundary, const std::string &body,
                             const FormLimits &limits = FormLimits())
{
    return run(boundary, {body}, limits);
}

/* The whole body, every cut into two pieces, byte by byte, and (for small
 * bodies) every cut into three pieces all give "expect". */
static void check_chunkings(std::string_view boundary, const std::string &body,
                            const std::string &expect, const FormLimits &limits = FormLimits())
{
    ck_assert_sstr_eq(run_whole(boundary, body, limits), expect);

    for (std::size_t i = 0; i <= body.size(); i++) {
        std::string got = run(boundary, {body.substr(0, i), body.substr(i)}, limits);
        ck_assert_msg(got == expect, "cut at %zu:\n%s\nexpected:\n%s", i, got.c_str(),
                      expect.c_str());
    }

    std::vector<std::string> bytes;
    for (char c : body) {
        bytes.emplace_back(1, c);
    }
    ck_assert_sstr_eq(run(boundary, bytes, limits), expect);

    if (body.size() <= 160) {
        for (std::size_t i = 0; i <= body.size(); i++) {
            for (std::size_t j = i; j <= body.size(); j++) {
                std::string got = run(boundary,
                                      {body.substr(0, i), body.substr(i, j - i), body.substr(j)},
                                      limits);
                ck_assert_msg(got == expect, "cuts at %zu, %zu:\n%s", i, j, got.c_str());
            }
        }
    }
}

/* --- the request's Content-Type ------------------------------------------- */

static const struct {
    const char *value;
    FormError expect;
    const char *boundary;
} content_types[] = {
    { "multipart/form-data; boundary=------------------------b51531a14f6d3f44",
      FormError::ok, "------------------------b51531a14f6d3f44" },
    { "multipart/form-data; boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW",
      FormError::ok, "----WebKitFormBoundary7MA4YWxkTrZu0gW" },
    { "Multipart/Form-Data; BOUNDARY=AbC", FormError::ok, "AbC" },
    { "multipart/form-data;boundary=x", FormError::ok, "x" },
    { "  multipart/form-data ; charset=utf-8 ;\tboundary=\"a b:c?d=e\"  ", FormError::ok,
      "a b:c?d=e" },
    { "multipart/form-data; boundary=\"'()+_,-./:=?\"", FormError::ok, "'()+_,-./:=?" },
    { "multipart/form-data; boundary="
      "1234567890123456789012345678901234567890123456789012345678901234567890",
      FormError::ok, "1234567890123456789012345678901234567890123456789012345678901234567890" },
    { "multipart/form-data; boundary="
      "12345678901234567890123456789012345678901234567890123456789012345678901",
      FormError::bad_boundary, nullptr },
    { "multipart/form-data", FormError::no_boundary, nullptr },
    { "multipart/form-data; charset=utf-8", FormError::no_boundary, nullptr },
    { "multipart/form-data; boundary=", FormError::bad_boundary, nullptr },
    { "multipart/form-data; boundary=\"\"", FormError::bad_boundary, nullptr },
    { "multipart/form-data; boundary=\"ab \"", FormError::bad_boundary, nullptr },
    { "multipart/form-data; boundary=a*b", FormError::bad_boundary, nullptr },
    { "multipart/form-data; boundary=\"a\\\\b\"", FormError::bad_boundary, nullptr },
    { "multipart/form-data; boundary=\"a\xc3\xa9\"", FormError::bad_boundary, nullptr },
    { "multipart/form-data; boundary=a; boundary=a", FormError::bad_boundary, nullptr },
    { "multipart/form-data; boundary=a;", FormError::bad_boundary, nullptr },
    { "multipart/form-data; boundary = a", FormError::bad_boundary, nullptr },
    { "multipart/form-data; boundary=\"abc", FormError::bad_boundary, nullptr },
    { "multipart/form-data boundary=a", FormError::bad_boundary, nullptr },
    { "multipart/mixed; boundary=a", FormError::not_form_data, nullptr },
    { "application/x-www-form-urlencoded", FormError::not_form_data, nullptr },
    { "multipart/form-datax; boundary=a", FormError::not_form_data, nullptr },
    { "multipart/", FormError::not_form_data, nullptr },
    { "", FormError::not_form_data, nullptr },
};

START_TEST(test_content_type)
{
    std::string boundary = "unchanged";
    FormError got = parse_form_content_type(content_types[_i].value, boundary);

    ck_assert_msg(got == content_types[_i].expect, "\"%s\": %s", content_types[_i].value,
                  form_error_code(got));
    if (content_types[_i].boundary) {
        ck_assert_sstr_eq(boundary, content_types[_i].boundary);
    } else {
        ck_assert_sstr_eq(boundary, "unchanged");
    }
}
END_TEST

START_TEST(test_is_form_content_type)
{
    ck_assert(is_form_content_type("multipart/form-data; boundary=x"));
    ck_assert(is_form_content_type("MULTIPART/FORM-DATA"));
    ck_assert(is_form_content_type("multipart/form-data ;"));
    ck_assert(!is_form_content_type("multipart/form-datax"));
    ck_assert(!is_form_content_type("multipart/mixed; boundary=x"));
    ck_assert(!is_form_content_type("application/octet-stream"));
    ck_assert(!is_form_content_type(""));
}
END_TEST

START_TEST(test_error_texts)
{
    for (int e = static_cast<int>(FormError::ok); e <= static_cast<int>(FormError::misuse); e++) {
        FormError err = static_cast<FormError>(e);
        ck_assert_str_ne(form_error_code(err), "form_unknown");
        ck_assert_str_ne(form_error_message(err), "unknown form error");
    }
    ck_assert_str_eq(form_error_code(FormError::truncated), "form_truncated");
    ck_assert_str_eq(form_error_message(FormError::nested_multipart),
                     "nested multipart parts are not supported");
}
END_TEST

/* --- real envelopes -------------------------------------------------------- */

/* curl 7.88.1: curl -F field=value -F file=@a.txt -F empty=   (a.txt holds
 * "hello\r\n--world\n") */
static const char curl_boundary[] = "------------------------b51531a14f6d3f44";
static const std::string curl_body =
    "--------------------------b51531a14f6d3f44\r\n"
    "Content-Disposition: form-data; name=\"field\"\r\n"
    "\r\n"
    "value\r\n"
    "--------------------------b51531a14f6d3f44\r\n"
    "Content-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n"
    "Content-Type: text/plain\r\n"
    "\r\n"
    "hello\r\n"
    "--world\n"
    "\r\n"
    "--------------------------b51531a14f6d3f44\r\n"
    "Content-Disposition: form-data; name=\"empty\"\r\n"
    "\r\n"
    "\r\n"
    "--------------------------b51531a14f6d3f44--\r\n";

static const char curl_events[] =
    "begin name=\"field\"\n"
    "data \"value\"\n"
    "part-end\n"
    "begin name=\"file\" filename=\"a.txt\" type=\"text/plain\"\n"
    "data \"hello\\r\\n--world\\n\"\n"
    "part-end\n"
    "begin name=\"empty\"\n"
    "part-end\n"
    "end\n";

START_TEST(test_curl)
{
    std::string boundary;
    ck_assert(parse_form_content_type("multipart/form-data; boundary="
                                      "------------------------b51531a14f6d3f44",
                                      boundary) == FormError::ok);
    ck_assert_sstr_eq(boundary, curl_boundary);
    check_chunkings(boundary, curl_body, curl_events);
}
END_TEST

/* curl -F 'na"me=x' -F 'up=@a.txt;filename=we"ird\name.bin;type=image/png':
 * curl >= 7.81 percent-encodes '"' (as browsers do) and sends '\' raw. */
START_TEST(test_curl_escapes)
{
    const std::string body =
        "--------------------------db8b0eab33e67130\r\n"
        "Content-Disposition: form-data; name=\"na%22me\"\r\n"
        "\r\n"
        "x\r\n"
        "--------------------------db8b0eab33e67130\r\n"
        "Content-Disposition: form-data; name=\"up\"; filename=\"we%22ird\\name.bin\"\r\n"
        "Content-Type: image/png\r\n"
        "\r\n"
        "hello\r\n"
        "--world\n"
        "\r\n"
        "--------------------------db8b0eab33e67130--\r\n";
    check_chunkings("------------------------db8b0eab33e67130", body,
                    "begin name=\"na%22me\"\n"
                    "data \"x\"\n"
                    "part-end\n"
                    "begin name=\"up\" filename=\"we%22ird\\\\name.bin\" type=\"image/png\"\n"
                    "data \"hello\\r\\n--world\\n\"\n"
                    "part-end\n"
                    "end\n");

    /* the same with --form-escape: backslash escapes, read back as sent */
    const std::string escaped_body =
        "--------------------------42af295d7088bd1c\r\n"
        "Content-Disposition: form-data; name=\"na\\\"me\"\r\n"
        "\r\n"
        "x\r\n"
        "--------------------------42af295d7088bd1c\r\n"
        "Content-Disposition: form-data; name=\"up\"; filename=\"we\\\"ird\\\\name.bin\"\r\n"
        "Content-Type: text/plain\r\n"
        "\r\n"
        "hello\r\n"
        "--world\n"
        "\r\n"
        "--------------------------42af295d7088bd1c--\r\n";
    FormParser p("------------------------42af295d7088bd1c");
    p.feed(escaped_body.data(), escaped_body.size());
    p.finish();
    ck_assert(p.next() == FormEvent::part_begin);
    ck_assert_sstr_eq(p.part().name, "na\"me");
    ck_assert(!p.part().is_file());
    while (p.next() != FormEvent::part_begin) {
    }
    ck_assert_sstr_eq(p.part().name, "up");
    ck_assert_sstr_eq(p.part().filename, "we\"ird\\name.bin");
    ck_assert(p.part().is_file());
}
END_TEST

/* Chromium (blink FormDataEncoder): a text input, a file input with one
 * file, one with two, a file input left empty (filename="" and
 * application/octet-stream), a name with '"' and a line break (%22, %0D%0A)
 * and a raw UTF-8 file name. */
static const char chromium_boundary[] = "----WebKitFormBoundaryzqL8mJ0Yd2fRB3aK";
static const std::string chromium_body = bytes(
    "------WebKitFormBoundaryzqL8mJ0Yd2fRB3aK\r\n"
    "Content-Disposition: form-data; name=\"title\"\r\n"
    "\r\n"
    "Holiday \"2024\"\r\n"
    "------WebKitFormBoundaryzqL8mJ0Yd2fRB3aK\r\n"
    "Content-Disposition: form-data; name=\"photo\"; filename=\"beach.png\"\r\n"
    "Content-Type: image/png\r\n"
    "\r\n"
    "\x89PNG\r\n\x1a\n\0\0\0\rIHDR--\r\n-\r\n--\r\n"
    "------WebKitFormBoundaryzqL8mJ0Yd2fRB3aK\r\n"
    "Content-Disposition: form-data; name=\"docs\"; filename=\"r\xc3\xa9sum\xc3\xa9.txt\"\r\n"
    "Content-Type: text/plain\r\n"
    "\r\n"
    "line 1\r\nline 2\r\n\r\n"
    "------WebKitFormBoundaryzqL8mJ0Yd2fRB3aK\r\n"
    "Content-Disposition: form-data; name=\"docs\"; filename=\"notes.md\"\r\n"
    "Content-Type: text/markdown\r\n"
    "\r\n"
    "# notes\n"
    "\r\n"
    "------WebKitFormBoundaryzqL8mJ0Yd2fRB3aK\r\n"
    "Content-Disposition: form-data; name=\"optional\"; filename=\"\"\r\n"
    "Content-Type: application/octet-stream\r\n"
    "\r\n"
    "\r\n"
    "------WebKitFormBoundaryzqL8mJ0Yd2fRB3aK\r\n"
    "Content-Disposition: form-data; name=\"we%22ird%0D%0Aname\"\r\n"
    "\r\n"
    "\r\n"
    "------WebKitFormBoundaryzqL8mJ0Yd2fRB3aK--\r\n");

static const char chromium_events[] =
    "begin name=\"title\"\n"
    "data \"Holiday \\\"2024\\\"\"\n"
    "part-end\n"
    "begin name=\"photo\" filename=\"beach.png\" type=\"image/png\"\n"
    "data \"\\x89PNG\\r\\n\\x1a\\n\\x00\\x00\\x00\\rIHDR--\\r\\n-\\r\\n--\"\n"
    "part-end\n"
    "begin name=\"docs\" filename=\"r\\xc3\\xa9sum\\xc3\\xa9.txt\" type=\"text/plain\"\n"
    "data \"line 1\\r\\nline 2\\r\\n\"\n"
    "part-end\n"
    "begin name=\"docs\" filename=\"notes.md\" type=\"text/markdown\"\n"
    "data \"# notes\\n\"\n"
    "part-end\n"
    "begin name=\"optional\" filename=\"\" type=\"application/octet-stream\"\n"
    "part-end\n"
    "begin name=\"we%22ird%0D%0Aname\"\n"
    "part-end\n"
    "end\n";

START_TEST(test_chromium)
{
    std::string boundary;
    ck_assert(parse_form_content_type(
                  "multipart/form-data; boundary=----WebKitFormBoundaryzqL8mJ0Yd2fRB3aK",
                  boundary) == FormError::ok);
    ck_assert_sstr_eq(boundary, chromium_boundary);
    ck_assert_uint_eq(chromium_body.size(), 874);   /* the NULs count */
    check_chunkings(boundary, chromium_body, chromium_events);

    /* the empty file input is a file part with an empty name */
    FormParser p(chromium_boundary);
    p.feed(chromium_body.data(), chromium_body.size());
    p.finish();
    FormEvent ev;
    while ((ev = p.next()) != FormEvent::end) {
        ck_assert(ev != FormEvent::error);
        if (ev == FormEvent::part_begin && p.part().name == "optional") {
            ck_assert(p.part().is_file());
            ck_assert(p.part().has_filename);
            ck_assert_sstr_eq(p.part().filename, "");
            ck_assert_uint_eq(p.part().index, 4);
            ck_assert_uint_eq(p.part().headers.size(), 2);
            ck_assert_sstr_eq(p.part().headers[1].name, "Content-Type");
            ck_assert_sstr_eq(p.part().headers[1].value, "application/octet-stream");
        }
    }
}
END_TEST

/* Node 20's fetch() with a FormData (undici): CR LF in a value, '"' in a
 * file name as %22, a name with a line break as %0D%0A, and a Blob appended
 * with an empty name, which undici sends without a filename at all. */
START_TEST(test_node_formdata)
{
    const std::string body =
        "------formdata-undici-079272924600\r\n"
        "Content-Disposition: form-data; name=\"title\"\r\n"
        "\r\n"
        "\xc3\x9cn\xc3\xaf" "code \"q\"\r\n"
        "line2\r\n"
        "------formdata-undici-079272924600\r\n"
        "Content-Disposition: form-data; name=\"files\"; filename=\"na\xc3\xafve %22a%22.txt\"\r\n"
        "Content-Type: application/octet-stream\r\n"
        "\r\n"
        "abc\r\n"
        "--x\r\n"
        "------formdata-undici-079272924600\r\n"
        "Content-Disposition: form-data; name=\"files\"\r\n"
        "Content-Type: application/octet-stream\r\n"
        "\r\n"
        "\r\n"
        "------formdata-undici-079272924600\r\n"
        "Content-Disposition: form-data; name=\"li%0D%0Ane\"\r\n"
        "\r\n"
        "v\r\n"
        "------formdata-undici-079272924600--\r\n";
    check_chunkings("----formdata-undici-079272924600", body,
                    "begin name=\"title\"\n"
                    "data \"\\xc3\\x9cn\\xc3\\xafcode \\\"q\\\"\\r\\nline2\"\n"
                    "part-end\n"
                    "begin name=\"files\" filename=\"na\\xc3\\xafve %22a%22.txt\" "
                    "type=\"application/octet-stream\"\n"
                    "data \"abc\\r\\n--x\"\n"
                    "part-end\n"
                    "begin name=\"files\" type=\"application/octet-stream\"\n"
                    "part-end\n"
                    "begin name=\"li%0D%0Ane\"\n"
                    "data \"v\"\n"
                    "part-end\n"
                    "end\n");
}
END_TEST

/* --- the envelope's syntax -------------------------------------------------- */

static std::string field(const std::string &boundary, const std::string &name,
                         const std::string &value)
{
    return "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n"
           + value + "\r\n";
}

START_TEST(test_preamble_padding_epilogue)
{
    /* a preamble, transport padding after each boundary, an epilogue */
    const std::string body =
        "This is the preamble.\r\nIt has --b in it, \r\n-b, and \r\n--c too.\r\n"
        "--b \t \r\n"
        "Content-Disposition: form-data; name=a\r\n"
        "\r\n"
        "1\r\n"
        "--b\t\r\n"
        "content-disposition: FORM-DATA ; NAME=\"b\" ; Filename=b.txt\r\n"
        "\r\n"
        "2\r\n"
        "--b--  \r\n"
        "This is the epilogue.\r\n--b\r\n";
    check_chunkings("b", body,
                    "begin name=\"a\"\n"
                    "data \"1\"\n"
                    "part-end\n"
                    "begin name=\"b\" filename=\"b.txt\"\n"
                    "data \"2\"\n"
                    "part-end\n"
                    "end\n");

    /* a CRLF before the first boundary is an empty preamble */
    check_chunkings("b", "\r\n" + field("b", "a", "1") + "--b--",
                    "begin name=\"a\"\ndata \"1\"\npart-end\nend\n");
    /* the close delimiter may end the body without CRLF, or with padding */
    check_chunkings("b", field("b", "a", "1") + "--b-- \t",
                    "begin name=\"a\"\ndata \"1\"\npart-end\nend\n");
    /* an empty form (a browser's form with nothing to send) */
    check_chunkings("b", "--b--\r\n", "end\n");
    check_chunkings("b", "preamble\r\n--b--", "end\n");
}
END_TEST

START_TEST(test_near_boundaries)
{
    const std::string b = "0123456789abcdefXYZ";
    /* every way of almost being a delimiter, inside a file's data */
    const std::string data =
        "\r\n--0123456789abcdefXY"       /* the delimiter minus its last byte */
        "\r\n--0123456789abcdefXYz"      /* ... with a wrong last byte */
        "--0123456789abcdefXYZ\r\n"      /* the boundary without the CRLF */
        "\n--0123456789abcdefXYZ\r\n"    /* ... after a LF alone */
        "\r--0123456789abcdefXYZ\r\n"    /* ... after a CR alone */
        "\r\n-0123456789abcdefXYZ\r\n"   /* one dash */
        "\r\r\n\r\n\r\n-\r\n--\r\n--0\r" /* CRs and dashes */
        "\r\n--0123456789abcdefXY\r\n--0123456789abcdefXY\r";
    const std::string body = "--" + b + "\r\n"
                             "Content-Disposition: form-data; name=\"f\"; filename=\"x.bin\"\r\n"
                             "\r\n" + data + "\r\n--" + b + "--\r\n";
    check_chunkings(b, body,
                    "begin name=\"f\" filename=\"x.bin\"\n"
                    "data \"" + escaped(data) + "\"\n"
                    "part-end\n"
                    "end\n");
}
END_TEST

START_TEST(test_binary_data)
{
    /* 64 KiB of every byte value, CR LF and dashes; cut at every offset would
     * take long, so: whole, byte by byte, and cuts near every CR */
    std::string data = ck_pattern(65536, 7);
    for (std::size_t i = 0; i < data.size(); i += 97) {
        data.replace(i, 8, "\r\n--bou\r");
    }
    const std::string body = "--boundary\r\n"
                             "Content-Disposition: form-data; name=\"f\"; filename=\"r.bin\"\r\n"
                             "Content-Type: application/octet-stream\r\n\r\n"
                             + data + "\r\n--boundary--\r\n";
    const std::string expect = "begin name=\"f\" filename=\"r.bin\" type=\"application/octet-stream\"\n"
                               "data \"" + escaped(data) + "\"\n"
                               "part-end\n"
                               "end\n";
    ck_assert_sstr_eq(run_whole("boundary", body), expect);

    std::vector<std::string> bytes;
    for (char c : body) {
        bytes.emplace_back(1, c);
    }
    ck_assert_sstr_eq(run("boundary", bytes), expect);

    for (std::size_t i = 1000; i < 1200; i++) {
        ck_assert_sstr_eq(run("boundary", {body.substr(0, i), body.substr(i)}), expect);
    }
    const std::size_t end = body.size() - 16;   /* the closing delimiter */
    for (std::size_t i = end - 4; i <= body.size(); i++) {
        ck_assert_sstr_eq(run("boundary", {body.substr(0, i), body.substr(i)}), expect);
    }
}
END_TEST

START_TEST(test_empty_parts)
{
    /* empty values, an empty file, a part whose data is just CRLF */
    const std::string body =
        field("xx", "a", "") + field("xx", "", "") +
        "--xx\r\nContent-Disposition: form-data; name=\"f\"; filename=\"\"\r\n"
        "Content-Type: application/octet-stream\r\n\r\n\r\n"
        + field("xx", "c", "\r\n") + "--xx--\r\n";
    check_chunkings("xx", body,
                    "begin name=\"a\"\npart-end\n"
                    "begin name=\"\"\npart-end\n"
                    "begin name=\"f\" filename=\"\" type=\"application/octet-stream\"\npart-end\n"
                    "begin name=\"c\"\ndata \"\\r\\n\"\npart-end\n"
                    "end\n");
}
END_TEST

START_TEST(test_many_parts)
{
    std::string body, expect;
    for (int i = 0; i < 1024; i++) {
        body += field("m", "f" + std::to_string(i), std::to_string(i * 7));
        expect += "begin name=\"f" + std::to_string(i) + "\"\ndata \"" + std::to_string(i * 7)
                  + "\"\npart-end\n";
    }
    ck_assert_sstr_eq(run_whole("m", body + "--m--\r\n"), expect + "end\n");

    std::vector<std::string> bytes;
    for (char c : body + "--m--\r\n") {
        bytes.emplace_back(1, c);
    }
    ck_assert_sstr_eq(run("m", bytes), expect + "end\n");

    /* one more than the default limit */
    std::string more = body + field("m", "last", "x") + "--m--\r\n";
    ck_assert_sstr_eq(run_whole("m", more), expect + "error form_too_many_parts\n");

    FormLimits limits;
    limits.max_parts = 2;
    check_chunkings("m", field("m", "a", "1") + field("m", "b", "2") + "--m--",
                    "begin name=\"a\"\ndata \"1\"\npart-end\n"
                    "begin name=\"b\"\ndata \"2\"\npart-end\nend\n", limits);
    check_chunkings("m", field("m", "a", "1") + field("m", "b", "2") + field("m", "c", "3"),
                    "begin name=\"a\"\ndata \"1\"\npart-end\n"
                    "begin name=\"b\"\ndata \"2\"\npart-end\n"
                    "error form_too_many_parts\n", limits);
}
END_TEST

/* --- headers of a part ------------------------------------------------------ */

START_TEST(test_part_headers)
{
    const std::string body =
        "--b\r\n"
        "X-Other: kept,  but ignored \r\n"
        "Content-Disposition:form-data;name=\"n\";filename=\"C:\\dir\\a.txt\";x=\"y\"\r\n"
        "Content-Type:  text/plain; charset=\"utf-8\"\t\r\n"
        "Content-Transfer-Encoding: BINARY\r\n"
        "\r\n"
        "d\r\n"
        "--b--";
    FormParser p("b");
    p.feed(body.data(), body.size());
    p.finish();
    ck_assert(p.next() == FormEvent::part_begin);
    const FormPart &part = p.part();
    ck_assert_sstr_eq(part.name, "n");
    ck_assert_sstr_eq(part.filename, "C:\\dir\\a.txt");   /* raw backslashes kept */
    ck_assert_sstr_eq(part.content_type, "text/plain; charset=\"utf-8\"");
    ck_assert_uint_eq(part.headers.size(), 4);
    ck_assert_sstr_eq(part.headers[0].name, "X-Other");
    ck_assert_sstr_eq(part.headers[0].value, "kept,  but ignored");
    ck_assert_sstr_eq(part.headers[3].value, "BINARY");
    ck_assert(p.next() == FormEvent::data);
    ck_assert_sstr_eq(std::string(p.data()), "d");
    ck_assert(p.next() == FormEvent::part_end);
    ck_assert(p.next() == FormEvent::end);
}
END_TEST

START_TEST(test_filename_ext)
{
    const std::string head = "--b\r\nContent-Disposition: form-data; name=\"f\"; ";
    const std::string tail = "\r\n\r\nx\r\n--b--";

    /* RFC 5987 UTF-8 and ISO-8859-1, with and without a language */
    check_chunkings("b", head + "filename*=UTF-8''%e2%82%ac%20rates.txt" + tail,
                    "begin name=\"f\" filename*=\"\\xe2\\x82\\xac rates.txt\"\n"
                    "data \"x\"\npart-end\nend\n");
    ck_assert_sstr_eq(run_whole("b", head + "filename*=iso-8859-1'en'%A3%20rates" + tail),
                      "begin name=\"f\" filename*=\"\\xc2\\xa3 rates\"\n"
                      "data \"x\"\npart-end\nend\n");

    /* both: filename* preferred */
    const std::string both = head + "filename=\"EURO rates\"; filename*=utf-8''%e2%82%ac" + tail;
    FormParser p("b");
    p.feed(both.data(), both.size());
    ck_assert(p.next() == FormEvent::part_begin);
    ck_assert(p.part().is_file());
    ck_assert_sstr_eq(p.part().filename, "EURO rates");
    ck_assert_sstr_eq(p.part().filename_ext, "\xe2\x82\xac");
    ck_assert_sstr_eq(p.part().preferred_filename(), "\xe2\x82\xac");

    /* only filename*: still a file part */
    FormParser q("b");
    const std::string only = head + "filename*=UTF-8''a.txt" + tail;
    q.feed(only.data(), only.size());
    ck_assert(q.next() == FormEvent::part_begin);
    ck_assert(q.part().is_file());
    ck_assert(!q.part().has_filename);
    ck_assert_sstr_eq(q.part().preferred_filename(), "a.txt");

    static const char *bad[] = {
        "filename*=\"UTF-8''a\"",     /* quoted */
        "filename*=UTF-16''a",        /* another charset */
        "filename*=UTF-8'a",          /* one quote */
        "filename*=a",
        "filename*=UTF-8''%e2%82",    /* not UTF-8 */
        "filename*=UTF-8''%c0%af",    /* overlong */
        "filename*=UTF-8''a%00b",     /* NUL */
        "filename*=UTF-8''a%2",       /* short escape */
        "filename*=UTF-8''a%zz",
        "filename*=UTF-8'e_n'a",       /* a language tag of letters, digits, "-" */
    };
    for (const char *v : bad) {
        ck_assert_msg(run_whole("b", head + v + tail) == "error form_bad_filename_ext\n", "%s",
                      v);
    }
    ck_assert_sstr_eq(run_whole("b", head + "filename*=UTF-8''a; filename*=UTF-8''b" + tail),
                      "error form_bad_disposition\n");
}
END_TEST

/* --- every error -------------------------------------------------------------- */

static const std::string disp = "Content-Disposition: form-data; name=\"a\"\r\n";

static const struct {
    const char *what;
    std::string body;
    const char *events;   /* before the error */
    FormError expect;
} errors[] = {
    { "empty body", "", "", FormError::no_first_delimiter },
    { "only a preamble", "no delimiter here\r\n-b\r\n", "", FormError::no_first_delimiter },
    { "lines ending in LF alone", "--b\n" + disp.substr(0, disp.size() - 2) + "\n\nv\n--b--\n", "",
      FormError::bad_delimiter },
    { "a LF alone before the first boundary", "x\n--b\r\n" + disp + "\r\nv\n--b--\n", "",
      FormError::no_first_delimiter },
    { "preamble over the limit", std::string(1025, 'p') + "\r\n--b--", "",
      FormError::preamble_too_long },
    { "boundary in the data", "--b\r\n" + disp + "\r\nabc\r\n--bc\r\n\r\n--b--",
      "begin name=\"a\"\ndata \"abc\"\npart-end\n", FormError::bad_delimiter },
    { "junk after the first boundary", "--bx\r\n" + disp + "\r\n\r\n--b--", "",
      FormError::bad_delimiter },
    { "one dash", "--b-\r\n", "", FormError::bad_delimiter },
    { "CR without LF", "--b\r" + disp, "", FormError::bad_delimiter },
    { "LF alone", "--b\n" + disp, "", FormError::bad_delimiter },
    { "junk after padding", "--b \tx\r\n" + disp, "", FormError::bad_delimiter },
    { "junk after the close delimiter", "--b--junk\r\n", "", FormError::bad_delimiter },
    { "close delimiter, CR alone", "--b--\r", "", FormError::bad_delimiter },
    { "close delimiter, CR junk", "--b--\rx", "", FormError::bad_delimiter },
    { "no close delimiter", "--b\r\n" + disp + "\r\nabc\r\n",
      "begin name=\"a\"\ndata \"abc\"\n", FormError::truncated },   /* CRLF held */
    { "no close delimiter, held bytes", "--b\r\n" + disp + "\r\nabc\r\n--",
      "begin name=\"a\"\ndata \"abc\"\n", FormError::truncated },
    { "ends after a boundary", "--b\r\n" + disp + "\r\nabc\r\n--b",
      "begin name=\"a\"\ndata \"abc\"\npart-end\n", FormError::truncated },
    { "ends in padding", "--b  ", "", FormError::truncated },
    { "ends in headers", "--b\r\n" + disp, "", FormError::truncated },
    { "ends in a header line", "--b\r\nContent-Dis", "", FormError::truncated },
    { "ends after the first dash", "--b-", "", FormError::truncated },
    { "epilogue over the limit", "--b--\r\n" + std::string(1023, 'e'), "",
      FormError::epilogue_too_long },
    { "padding over the epilogue limit", "--b--" + std::string(1025, ' '), "",
      FormError::epilogue_too_long },
    { "no colon", "--b\r\n" + disp + "Content-Type text/plain\r\n\r\n\r\n--b--", "",
      FormError::header_syntax },
    { "space before the colon", "--b\r\nContent-Disposition : form-data; name=a\r\n\r\n\r\n--b--",
      "", FormError::header_syntax },
    { "empty field name", "--b\r\n: x\r\n" + disp + "\r\n\r\n--b--", "",
      FormError::header_syntax },
    { "non-ASCII field name", "--b\r\nX-\xc3\xa9: x\r\n" + disp + "\r\n\r\n--b--", "",
      FormError::header_syntax },
    /* a line is checked at its end: a folded one must be valid on its own
     * for the fold to be what is refused */
    { "obs-fold", "--b\r\nContent-Disposition: form-data; name=\"a\"\r\n filename=\"x\"\r\n"
      "\r\n\r\n--b--", "", FormError::header_obs_fold },
    { "obs-fold, first half broken", "--b\r\nContent-Disposition: form-data;\r\n name=\"a\"\r\n"
      "\r\n\r\n--b--", "", FormError::bad_disposition },
    { "a header line starting with a tab", "--b\r\n\tX: y\r\n" + disp + "\r\n\r\n--b--", "",
      FormError::header_obs_fold },
    { "LF alone in headers", "--b\r\n" + disp + "X: y\n\r\n\r\n--b--", "",
      FormError::header_bad_byte },
    { "blank line of a LF alone", "--b\r\n" + disp + "\n\r\n--b--", "",
      FormError::header_bad_byte },
    { "CR alone in headers", "--b\r\n" + disp + "X: a\rb\r\n\r\n\r\n--b--", "",
      FormError::header_bad_byte },
    { "NUL in a value", "--b\r\n" + disp + bytes("X: a\0b\r\n\r\n\r\n--b--"), "",
      FormError::header_bad_byte },
    { "DEL in a value", "--b\r\n" + disp + "X: a\x7f\r\n\r\n\r\n--b--", "",
      FormError::header_bad_byte },
    { "headers over the limit", "--b\r\n" + disp + "X: " + std::string(8192, 'h')
      + "\r\n\r\n\r\n--b--", "", FormError::headers_too_long },
    { "too many headers", "--b\r\n" + disp + "X: 1\r\nX: 2\r\nX: 3\r\nX: 4\r\nX: 5\r\nX: 6\r\n"
      "X: 7\r\nX: 8\r\nX: 9\r\nX: 10\r\nX: 11\r\nX: 12\r\nX: 13\r\nX: 14\r\nX: 15\r\nX: 16\r\n"
      "\r\n\r\n--b--", "", FormError::too_many_headers },
    { "two Content-Disposition", "--b\r\n" + disp + disp + "\r\n\r\n--b--", "",
      FormError::duplicate_header },
    { "two Content-Type", "--b\r\n" + disp + "Content-Type: a/b\r\ncontent-type: a/b\r\n"
      "\r\n\r\n--b--", "", FormError::duplicate_header },
    { "two Content-Transfer-Encoding", "--b\r\n" + disp + "Content-Transfer-Encoding: 8bit\r\n"
      "Content-Transfer-Encoding: 8bit\r\n\r\n\r\n--b--", "", FormError::duplicate_header },
    { "no Content-Disposition", "--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--", "",
      FormError::no_disposition },
    { "no headers at all", "--b\r\n\r\nx\r\n--b--", "", FormError::no_disposition },
    { "headers without the blank line", "--b\r\n" + disp + "--b--", "", FormError::truncated },
    { "headers ending at a boundary", "--b\r\n" + disp + "--b--\r\n", "",
      FormError::header_syntax },
    { "attachment", "--b\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\n\r\n--b--", "",
      FormError::bad_disposition },
    { "inline", "--b\r\nContent-Disposition: inline\r\n\r\n\r\n--b--", "",
      FormError::bad_disposition },
    { "empty disposition", "--b\r\nContent-Disposition:\r\n\r\n\r\n--b--", "",
      FormError::bad_disposition },
    { "trailing semicolon", "--b\r\nContent-Disposition: form-data; name=\"a\";\r\n\r\n\r\n--b--",
      "", FormError::bad_disposition },
    { "two names", "--b\r\nContent-Disposition: form-data; name=\"a\"; name=\"b\"\r\n\r\n\r\n--b--",
      "", FormError::bad_disposition },
    { "two filenames", "--b\r\nContent-Disposition: form-data; name=a; filename=x; "
      "FILENAME=y\r\n\r\n\r\n--b--", "", FormError::bad_disposition },
    { "unterminated quote", "--b\r\nContent-Disposition: form-data; name=\"a\r\n\r\n\r\n--b--", "",
      FormError::bad_disposition },
    { "trailing backslash", "--b\r\nContent-Disposition: form-data; name=\"a\\\"\r\n\r\n\r\n--b--",
      "", FormError::bad_disposition },
    { "space around =", "--b\r\nContent-Disposition: form-data; name = \"a\"\r\n\r\n\r\n--b--", "",
      FormError::bad_disposition },
    { "junk after a quoted value",
      "--b\r\nContent-Disposition: form-data; name=\"a\"x\r\n\r\n\r\n--b--", "",
      FormError::bad_disposition },
    { "no separator", "--b\r\nContent-Disposition: form-data name=\"a\"\r\n\r\n\r\n--b--", "",
      FormError::bad_disposition },
    { "no name", "--b\r\nContent-Disposition: form-data; filename=\"a.txt\"\r\n\r\n\r\n--b--", "",
      FormError::no_name },
    { "no parameters", "--b\r\nContent-Disposition: form-data\r\n\r\n\r\n--b--", "",
      FormError::no_name },
    { "name* is not name", "--b\r\nContent-Disposition: form-data; name*=UTF-8''a\r\n\r\n\r\n--b--",
      "", FormError::no_name },
    { "malformed part type", "--b\r\n" + disp + "Content-Type: text\r\n\r\n\r\n--b--", "",
      FormError::bad_part_type },
    { "malformed part type parameter", "--b\r\n" + disp + "Content-Type: text/plain; x\r\n"
      "\r\n\r\n--b--", "", FormError::bad_part_type },
    { "multipart/mixed", "--b\r\n" + disp + "Content-Type: multipart/mixed; boundary=c\r\n\r\n"
      "--c\r\nContent-Disposition: file; filename=\"a\"\r\n\r\nx\r\n--c--\r\n--b--", "",
      FormError::nested_multipart },
    { "multipart, upper case", "--b\r\n" + disp + "Content-Type: MULTIPART/alternative\r\n"
      "\r\n\r\n--b--", "", FormError::nested_multipart },
    { "base64", "--b\r\n" + disp + "Content-Transfer-Encoding: base64\r\n\r\nYQ==\r\n--b--", "",
      FormError::bad_transfer_encoding },
    { "quoted-printable", "--b\r\n" + disp + "Content-Transfer-Encoding: quoted-printable\r\n"
      "\r\n\r\n--b--", "", FormError::bad_transfer_encoding },
    { "an error in the second part", field("b", "a", "1") + "--b\r\n" + disp + "X\r\n\r\n\r\n--b--",
      "begin name=\"a\"\ndata \"1\"\npart-end\n", FormError::header_syntax },
};

START_TEST(test_errors)
{
    const std::string expect =
        std::string(errors[_i].events) + "error " + form_error_code(errors[_i].expect) + "\n";
    std::string got = run_whole("b", errors[_i].body);
    ck_assert_msg(got == expect, "%s:\n%s", errors[_i].what, got.c_str());
    if (errors[_i].body.size() <= 200) {
        check_chunkings("b", errors[_i].body, expect);
    }
}
END_TEST

START_TEST(test_limits_exact)
{
    FormLimits limits;
    limits.max_preamble = 10;
    limits.max_epilogue = 4;
    limits.max_headers = 2;
    /* "--b" + padding + CRLF + the two header lines + the blank line */
    const std::string pad = "  ";
    const std::string hdrs = "Content-Disposition: form-data; name=a\r\nX: 1\r\n\r\n";
    limits.max_header_bytes = pad.size() + 2 + hdrs.size();

    const std::string ok = std::string(10, 'p') + "\r\n--b" + pad + "\r\n" + hdrs + "v\r\n--b--"
                           + "\r\nee";
    check_chunkings("b", ok, "begin name=\"a\"\ndata \"v\"\npart-end\nend\n", limits);

    check_chunkings("b", "p" + ok, "error form_preamble_too_long\n", limits);
    check_chunkings("b", ok + "e", "begin name=\"a\"\ndata \"v\"\npart-end\n"
                    "error form_epilogue_too_long\n", limits);
    const std::string longer = std::string(10, 'p') + "\r\n--b" + pad + " \r\n" + hdrs
                               + "v\r\n--b--";
    check_chunkings("b", longer, "error form_headers_too_long\n", limits);
    const std::string more = std::string(10, 'p') + "\r\n--b\r\n"
                             "Content-Disposition: form-data; name=a\r\nX: 1\r\nY:\r\n\r\nv\r\n--b--";
    check_chunkings("b", more, "error form_too_many_headers\n", limits);
}
END_TEST

/* --- the interface ------------------------------------------------------------ */

START_TEST(test_zero_copy)
{
    /* data spans point into the fed buffer; only bytes held back for a
     * delimiter that did not come are copied */
    const std::string body = field("qq", "f", "0123456789\r\n--q9876543210") + "--qq--";
    FormParser p("qq");
    std::size_t cut = body.find("\r\n--q9") + 3;   /* inside "\r\n--q9" */
    std::string first = body.substr(0, cut), second = body.substr(cut);
    p.feed(first.data(), first.size());
    ck_assert(p.next() == FormEvent::part_begin);
    ck_assert(p.next() == FormEvent::data);
    ck_assert(p.data().data() == first.data() + first.find("0123"));
    ck_assert_sstr_eq(std::string(p.data()), "0123456789");
    ck_assert(p.next() == FormEvent::need_input);
    p.feed(second.data(), second.size());
    ck_assert(p.next() == FormEvent::data);   /* the held "\r\n-", copied */
    ck_assert_sstr_eq(std::string(p.data()), "\r\n-");
    ck_assert(p.data().data() < first.data() || p.data().data() >= first.data() + first.size());
    ck_assert(p.next() == FormEvent::data);
    ck_assert(p.data().data() == second.data());
    ck_assert_sstr_eq(std::string(p.data()), "-q9876543210");
    ck_assert(p.next() == FormEvent::part_end);
    ck_assert(p.next() == FormEvent::need_input);
    p.finish();
    ck_assert(p.next() == FormEvent::end);
    ck_assert_uint_eq(p.offset(), body.size());
}
END_TEST

START_TEST(test_pause)
{
    /* a consumer that stops after every event and goes on later, feeding
     * and finishing together: the same events */
    FormParser p(chromium_boundary);
    p.feed(chromium_body.data(), chromium_body.size());
    p.finish();
    std::string log;
    for (;;) {
        FormEvent ev = p.next();
        ck_assert(ev != FormEvent::need_input && ev != FormEvent::error);
        if (ev == FormEvent::end) {
            break;
        }
        if (ev == FormEvent::part_begin) {
            log += part_line(p.part());
        }
    }
    ck_assert_uint_eq(p.offset(), chromium_body.size());
    ck_assert(log.find("begin name=\"optional\" filename=\"\"") != std::string::npos);
}
END_TEST

START_TEST(test_misuse)
{
    FormParser p("b");
    p.feed("--b\r\n", 5);
    p.feed("x", 1);   /* the first piece is not used yet */
    ck_assert(p.next() == FormEvent::error);
    ck_assert(p.error() == FormError::misuse);

    FormParser q("b");
    q.finish();
    q.feed("--b--", 5);
    ck_assert(q.next() == FormEvent::error);
    ck_assert(q.error() == FormError::misuse);

    FormParser r("b");
    r.feed("", 0);    /* a no-op */
    r.feed("--b--", 5);
    r.finish();
    r.finish();
    ck_assert(r.next() == FormEvent::end);

    FormParser s("bad*boundary");
    ck_assert(s.next() == FormEvent::error);
    ck_assert(s.error() == FormError::bad_boundary);
    FormParser t("");
    ck_assert(t.error() == FormError::bad_boundary);
}
END_TEST

START_TEST(test_field_collector)
{
    FieldCollector c(5);
    ck_assert(c.append("ab"));
    ck_assert(c.append(""));
    ck_assert(c.append("cde"));
    ck_assert_sstr_eq(c.value(), "abcde");
    ck_assert(!c.over());
    ck_assert(!c.append("f"));
    ck_assert(c.over());
    ck_assert(!c.append(""));   /* stays over */
    ck_assert_sstr_eq(c.value(), "abcde");
    c.clear();
    ck_assert(!c.over());
    ck_assert(!c.append("123456"));
    ck_assert_sstr_eq(c.value(), "");

    /* collecting curl's fields from the events */
    FormParser p(curl_boundary);
    p.feed(curl_body.data(), curl_body.size());
    p.finish();
    FieldCollector value(16);
    std::string fields;
    for (FormEvent ev; (ev = p.next()) != FormEvent::end;) {
        ck_assert(ev != FormEvent::error);
        if (ev == FormEvent::part_begin) {
            value.clear();
        } else if (ev == FormEvent::data && !p.part().is_file()) {
            ck_assert(value.append(p.data()));
        } else if (ev == FormEvent::part_end && !p.part().is_file()) {
            fields += p.part().name + "=" + value.value() + ";";
        }
    }
    ck_assert_sstr_eq(fields, "field=value;empty=;");
}
END_TEST

Suite *form_suite(void)
{
    Suite *s = suite_create("form");
    TCase *tc = tcase_create("core");

    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_content_type, 0,
                        (int) (sizeof(content_types) / sizeof(content_types[0])));
    tcase_add_test(tc, test_is_form_content_type);
    tcase_add_test(tc, test_error_texts);
    tcase_add_test(tc, test_curl);
    tcase_add_test(tc, test_curl_escapes);
    tcase_add_test(tc, test_chromium);
    tcase_add_test(tc, test_node_formdata);
    tcase_add_test(tc, test_preamble_padding_epilogue);
    tcase_add_test(tc, test_near_boundaries);
    tcase_add_test(tc, test_binary_data);
    tcase_add_test(tc, test_empty_parts);
    tcase_add_test(tc, test_many_parts);
    tcase_add_test(tc, test_part_headers);
    tcase_add_test(tc, test_filename_ext);
    tcase_add_loop_test(tc, test_errors, 0, (int) (sizeof(errors) / sizeof(errors[0])));
    tcase_add_test(tc, test_limits_exact);
    tcase_add_test(tc, test_zero_copy);
    tcase_add_test(tc, test_pause);
    tcase_add_test(tc, test_misuse);
    tcase_add_test(tc, test_field_collector);
    suite_add_tcase(s, tc);

    return s;
}
