/* bgclient --digest: the choices, the server's digests from its JSON answer
 * and Repr-Digest, the Repr-Digest bgclient declares, and what a completed
 * upload's answer means in each algorithm (verified, mismatch, another
 * algorithm only, checked by the server, none).  Compiled as C++. */
#include <string>

#include <nlohmann/json.hpp>

#include "base/digest.hpp"
#include "tool_args.hpp"
#include "tool_digest.hpp"
#include "tool_exit.hpp"
#include "tool_outcome.hpp"
#include "tool_output.hpp"
#include "tool_resume.hpp"

/* after the C++ headers: check.h defines macros such as fail() */
#include <check.h>
#include "check_cxx.h"

using namespace bgclient;
using bigupload::DigestAlg;

namespace {

// "123456789", the CRC catalogue's check input, and its digests
const std::string check_input = "123456789";
const char *crc64_check = "ae8b14860a799888";  // CRC-64/NVME check value
const char *crc32c_check = "e3069283";          // CRC-32/ISCSI check value

std::string hex_of(DigestAlg a, const std::string &data)
{
    return bigupload::to_hex(bigupload::digest_of(a, data.data(), data.size()));
}

std::string repr_of(DigestAlg a, const std::string &data)
{
    return bigupload::digest_field_value(a, bigupload::digest_of(a, data.data(), data.size()));
}

bool has(const std::string &s, const char *needle)
{
    return s.find(needle) != std::string::npos;
}

OutcomeInput input(DigestChoice alg, const std::string &local, bool sent = false)
{
    OutcomeInput in;
    in.url = "http://h/up/f.bin";
    in.alg = alg;
    in.local_digest = local;
    in.digest_sent = sent;
    in.local_size = 9;
    return in;
}

AttemptResult answer(long status, const std::string &body, const std::string &repr = "")
{
    AttemptResult r;
    r.status = status;
    r.body = body;
    r.repr_digest = repr;
    return r;
}

}  // namespace

START_TEST(choices)
{
    DigestChoice c;
    ck_assert(parse_digest_choice("sha256", c) && c == DigestAlg::sha256);
    ck_assert(parse_digest_choice("sha512", c) && c == DigestAlg::sha512);
    ck_assert(parse_digest_choice("crc32c", c) && c == DigestAlg::crc32c);
    ck_assert(parse_digest_choice("crc64nvme", c) && c == DigestAlg::crc64nvme);
    ck_assert(parse_digest_choice("none", c) && !c);
    c = DigestAlg::sha256;
    /* the server's bigupload_digest names only, exact */
    for (const char *bad : {"", "SHA256", "sha-256", "sha1", "md5", "crc32", "off", "sha256 "}) {
        ck_assert_msg(!parse_digest_choice(bad, c), "%s taken", bad);
        ck_assert(c == DigestAlg::sha256);  /* unchanged */
    }
    ck_assert_sstr_eq(digest_choice_name(DigestAlg::crc64nvme), "crc64nvme");
    ck_assert_sstr_eq(digest_choice_name(std::nullopt), "none");
}
END_TEST

START_TEST(args)
{
    ArgResult r = parse_args({"http://h/up", "f.bin", "/f.bin"});
    ck_assert(r.action == ArgAction::run);
    ck_assert(r.config.digest == DigestAlg::sha256);  /* the default */
    r = parse_args({"--digest", "crc64nvme", "http://h/up", "f.bin", "/f.bin"});
    ck_assert(r.action == ArgAction::run && r.config.digest == DigestAlg::crc64nvme);
    r = parse_args({"--digest=none", "http://h/up", "f.bin", "/f.bin"});
    ck_assert(r.action == ArgAction::run && !r.config.digest);
    r = parse_args({"--digest", "md5", "http://h/up", "f.bin", "/f.bin"});
    ck_assert(r.action == ArgAction::error);
    ck_assert_sstr_eq(r.error, "bad --digest 'md5': expected sha256, sha512, crc32c, crc64nvme or none");
    ck_assert_int_eq(exit_code_for(r), exit_usage);
    r = parse_args({"http://h/up", "f.bin", "/f.bin", "--digest"});
    ck_assert(r.action == ArgAction::error);
    ck_assert_sstr_eq(r.error, "option --digest needs a value");
}
END_TEST

START_TEST(json_digests)
{
    std::string body = std::string("{\"path\":\"/f.bin\",\"size\":9,\"crc64nvme\":\"") + crc64_check + "\"}";
    ServerDigests d = digests_in_json(body);
    ck_assert_uint_eq(d.list.size(), 1);
    ck_assert(d.find(DigestAlg::crc64nvme) != nullptr);
    ck_assert_sstr_eq(d.find(DigestAlg::crc64nvme)->hex(), crc64_check);
    ck_assert(d.find(DigestAlg::sha256) == nullptr);
    ck_assert_sstr_eq(d.names(), "crc64nvme");

    /* upper-case hex is read, and given back lowercase */
    d = digests_in_json("{\"crc32c\":\"E3069283\"}");
    ck_assert_sstr_eq(d.find(DigestAlg::crc32c)->hex(), crc32c_check);

    /* a value of the wrong length, not hex, not a string: not a digest */
    ck_assert(digests_in_json("{\"crc64nvme\":\"e3069283\"}").empty());
    ck_assert(digests_in_json("{\"sha256\":\"zz\"}").empty());
    ck_assert(digests_in_json("{\"sha256\":5}").empty());
    ck_assert(digests_in_json("not json").empty());
    ck_assert(digests_in_json("[\"sha256\"]").empty());

    /* several: in the order of bgclient's list */
    std::string two = "{\"crc32c\":\"" + std::string(crc32c_check) + "\",\"sha512\":\""
                      + hex_of(DigestAlg::sha512, check_input) + "\"}";
    ck_assert_sstr_eq(digests_in_json(two).names(), "sha512 and crc32c");
}
END_TEST

START_TEST(repr_digests)
{
    ServerDigests d = digests_in_repr(repr_of(DigestAlg::crc64nvme, check_input));
    ck_assert_uint_eq(d.list.size(), 1);
    ck_assert_sstr_eq(d.find(DigestAlg::crc64nvme)->hex(), crc64_check);

    /* RFC 9530: unknown keys are skipped, known ones kept */
    d = digests_in_repr("unixsum=:AAAA:, " + repr_of(DigestAlg::sha256, check_input));
    ck_assert_uint_eq(d.list.size(), 1);
    ck_assert_sstr_eq(d.find(DigestAlg::sha256)->hex(), hex_of(DigestAlg::sha256, check_input));

    /* a member of the wrong length is no digest; a malformed field gives none */
    ck_assert(digests_in_repr("sha-256=:AAAA:").empty());
    ck_assert(digests_in_repr("sha-256=abc").empty());
    ck_assert(digests_in_repr("").empty());

    /* the JSON's value wins over Repr-Digest's for the same algorithm */
    std::string body = "{\"sha256\":\"" + hex_of(DigestAlg::sha256, "other") + "\"}";
    ServerDigests both = server_digests(body, repr_of(DigestAlg::sha256, check_input) + ", "
                                                  + repr_of(DigestAlg::crc32c, check_input));
    ck_assert_uint_eq(both.list.size(), 2);
    ck_assert_sstr_eq(both.find(DigestAlg::sha256)->hex(), hex_of(DigestAlg::sha256, "other"));
    ck_assert_sstr_eq(both.find(DigestAlg::crc32c)->hex(), crc32c_check);
}
END_TEST

START_TEST(declared_header)
{
    /* crc64nvme's 8 bytes big-endian, base64 */
    ck_assert_sstr_eq(repr_digest_header(DigestAlg::crc64nvme, crc64_check),
                      "Repr-Digest: crc64nvme=:rosUhgp5mIg=:");
    ck_assert_sstr_eq(repr_digest_header(DigestAlg::crc32c, crc32c_check),
                      "Repr-Digest: crc32c=:4waSgw==:");
    ck_assert_sstr_eq(repr_digest_header(DigestAlg::sha256, hex_of(DigestAlg::sha256, "")),
                      "Repr-Digest: sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:");
    /* not known yet, or not a digest of that algorithm: nothing declared */
    ck_assert_sstr_eq(repr_digest_header(DigestAlg::sha256, ""), "");
    ck_assert_sstr_eq(repr_digest_header(DigestAlg::sha256, crc32c_check), "");
    ck_assert_sstr_eq(repr_digest_header(DigestAlg::sha256, "xyz"), "");
}
END_TEST

START_TEST(wanted_header)
{
    ck_assert_sstr_eq(want_repr_digest_header(DigestAlg::sha256), "Want-Repr-Digest: sha-256=10");
    ck_assert_sstr_eq(want_repr_digest_header(DigestAlg::sha512), "Want-Repr-Digest: sha-512=10");
    ck_assert_sstr_eq(want_repr_digest_header(DigestAlg::crc32c), "Want-Repr-Digest: crc32c=10");
    ck_assert_sstr_eq(want_repr_digest_header(DigestAlg::crc64nvme),
                      "Want-Repr-Digest: crc64nvme=10");
    ck_assert_sstr_eq(want_repr_digest_header(std::nullopt), "");
}
END_TEST

START_TEST(verify_in_each_algorithm)
{
    for (DigestAlg a : {DigestAlg::sha256, DigestAlg::sha512, DigestAlg::crc32c, DigestAlg::crc64nvme}) {
        std::string hex = hex_of(a, check_input);
        std::string body = std::string("{\"path\":\"/f.bin\",\"size\":9,\"") + bigupload::digest_name(a)
                           + "\":\"" + hex + "\"}";
        Outcome o = classify(answer(201, body), input(a, hex));
        ck_assert_int_eq(o.exit_code, exit_ok);
        ck_assert_sstr_eq(o.verified, bigupload::digest_name(a));
        ck_assert_sstr_eq(o.verified_digest, hex);
        ck_assert(o.reply.own_answer);
        ck_assert(o.backend_response.empty());

        /* the same from Repr-Digest alone (a bigupload_pass backend's answer) */
        o = classify(answer(200, "{\"app\":1}", repr_of(a, check_input)), input(a, hex));
        ck_assert_int_eq(o.exit_code, exit_ok);
        ck_assert_sstr_eq(o.verified, bigupload::digest_name(a));
        ck_assert_sstr_eq(o.backend_response, "{\"app\":1}");

        /* another file's */
        std::string other = hex_of(a, "12345678X");
        o = classify(answer(201, body), input(a, other));
        ck_assert_int_eq(o.exit_code, exit_integrity);
        ck_assert_sstr_eq(o.message, "integrity mismatch: sent " + std::string(bigupload::digest_name(a))
                                         + " " + other + ", the server stored "
                                         + bigupload::digest_name(a) + " " + hex);
        ck_assert(o.verified.empty());
    }
}
END_TEST

START_TEST(verify_another_algorithm)
{
    std::string sha = hex_of(DigestAlg::sha256, check_input);
    std::string body = std::string("{\"path\":\"/f.bin\",\"size\":9,\"crc64nvme\":\"") + crc64_check + "\"}";

    /* the server's bigupload_digest is not --digest's, and nothing declared */
    Outcome o = classify(answer(201, body), input(DigestAlg::sha256, sha));
    ck_assert_int_eq(o.exit_code, exit_integrity);
    ck_assert_sstr_eq(o.message, "the server answered HTTP 201 Created with the file's crc64nvme,"
                                 " not its sha256, so the upload cannot be verified (its"
                                 " bigupload_digest is not --digest's: use --digest crc64nvme)");
    ck_assert(!o.retryable);

    /* declared: the server checked bgclient's sha256 before storing the file */
    o = classify(answer(201, body), input(DigestAlg::sha256, sha, true));
    ck_assert_int_eq(o.exit_code, exit_ok);
    ck_assert_sstr_eq(o.verified, "server");
    ck_assert(o.verified_digest.empty());

    /* bigupload_digest off: no digest in its own answer */
    const char *off = "{\"path\":\"/f.bin\",\"size\":9}";
    o = classify(answer(201, off), input(DigestAlg::sha256, sha));
    ck_assert_int_eq(o.exit_code, exit_integrity);
    ck_assert(has(o.message, "but reported no sha256, so the upload cannot be verified"));
    o = classify(answer(201, off), input(DigestAlg::sha256, sha, true));
    ck_assert_int_eq(o.exit_code, exit_ok);
    ck_assert_sstr_eq(o.verified, "server");
    /* ... but a backend's answer without any digest proves nothing */
    o = classify(answer(200, "{\"app\":1}"), input(DigestAlg::sha256, sha, true));
    ck_assert_int_eq(o.exit_code, exit_integrity);

    /* --digest none: nothing compared, whatever the server says */
    o = classify(answer(201, body), input(std::nullopt, ""));
    ck_assert_int_eq(o.exit_code, exit_ok);
    ck_assert_sstr_eq(o.verified, "none");
    /* the size is still checked */
    o = classify(answer(201, "{\"path\":\"/f.bin\",\"size\":8}"), input(std::nullopt, ""));
    ck_assert_int_eq(o.exit_code, exit_integrity);
    ck_assert(has(o.message, "size mismatch: sent 9 bytes, the server stored 8"));
}
END_TEST

START_TEST(file_digest_mismatch)
{
    std::string crc = crc64_check;
    Outcome o = classify(answer(409, "{\"error\":\"file_digest_mismatch\",\"message\":\"x\"}"),
                         input(DigestAlg::crc64nvme, crc, true));
    ck_assert_int_eq(o.exit_code, exit_integrity);
    ck_assert(!o.retryable);
    ck_assert_sstr_eq(o.message, "integrity mismatch: the file the server received does not have"
                                 " this file's crc64nvme ae8b14860a799888 (HTTP 409"
                                 " file_digest_mismatch): nothing was stored at http://h/up/f.bin,"
                                 " and the server discarded what it held (run again to send the"
                                 " file from the start)");
}
END_TEST

START_TEST(own_answer)
{
    ck_assert(parse_server_reply("{\"path\":\"/f\",\"size\":1,\"crc32c\":\"e3069283\"}").own_answer);
    ck_assert(parse_server_reply("{\"path\":\"/f\",\"size\":1}").own_answer);
    ck_assert(!parse_server_reply("{\"path\":\"/f\",\"size\":1,\"id\":\"e3069283\"}").own_answer);
    ck_assert(!parse_server_reply("{\"path\":\"/f\",\"size\":1,\"crc32c\":\"e3\"}").own_answer);
}
END_TEST

START_TEST(held_digests)
{
    HeadAnswer a;
    a.status = 200;
    a.content_length = "9";
    a.repr_digest = repr_of(DigestAlg::crc64nvme, check_input);
    Held h = parse_held(a);
    ck_assert(h.kind == HeldKind::finished);
    ck_assert(h.sha256.empty());
    ck_assert_sstr_eq(h.digests.find(DigestAlg::crc64nvme)->hex(), crc64_check);
    ck_assert_sstr_eq(status_line(h), "done: 9 (crc64nvme ae8b14860a799888)");
    a.repr_digest = repr_of(DigestAlg::sha256, check_input);
    h = parse_held(a);
    ck_assert_sstr_eq(status_line(h), "done: 9 (sha256 " + hex_of(DigestAlg::sha256, check_input) + ")");
}
END_TEST

START_TEST(report)
{
    Report r;
    r.file = "f.bin";
    r.url = "http://h/up/f.bin";
    r.status = 201;
    r.size = 9;
    r.elapsed = 1;
    r.attempts = 1;
    r.digest_alg = "crc64nvme";
    r.digest = crc64_check;
    r.server_digest = crc64_check;
    r.verified = "crc64nvme";
    ck_assert_sstr_eq(success_line(r), "uploaded f.bin -> http://h/up/f.bin (9 B, 9 B/s, crc64nvme ae8b14860a799888)");
    nlohmann::json j = nlohmann::json::parse(report_json(r));
    ck_assert(j["digest"] == "crc64nvme");
    ck_assert(j["crc64nvme"] == crc64_check);
    ck_assert(j["server_crc64nvme"] == crc64_check);
    ck_assert(j["verified"] == "crc64nvme");
    ck_assert(!j.contains("sha256"));

    r.verified = "server";
    r.server_digest.clear();
    ck_assert(has(success_line(r), ", crc64nvme ae8b14860a799888, checked by the server)"));
    j = nlohmann::json::parse(report_json(r));
    ck_assert(j["verified"] == "server");
    ck_assert(!j.contains("server_crc64nvme"));

    r.digest_alg = "none";
    r.digest.clear();
    r.verified = "none";
    ck_assert(has(success_line(r), ", not verified: --digest none)"));
    j = nlohmann::json::parse(report_json(r));
    ck_assert(j["digest"] == "none");
    ck_assert(j["verified"] == "none");
    ck_assert(!j.contains("none"));
}
END_TEST

Suite *client_digest_suite(void);

Suite *client_digest_suite(void)
{
    Suite *s = suite_create("client_digest");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, choices);
    tcase_add_test(tc, args);
    tcase_add_test(tc, json_digests);
    tcase_add_test(tc, repr_digests);
    tcase_add_test(tc, declared_header);
    tcase_add_test(tc, wanted_header);
    tcase_add_test(tc, verify_in_each_algorithm);
    tcase_add_test(tc, verify_another_algorithm);
    tcase_add_test(tc, file_digest_mismatch);
    tcase_add_test(tc, own_answer);
    tcase_add_test(tc, held_digests);
    tcase_add_test(tc, report);
    suite_add_tcase(s, tc);
    return s;
}
