/* The digest library: every algorithm against published values, streaming,
 * saved states restored and continued, CRC combination, names, encodings.
 * Random data and split points come from a seeded generator: a failure
 * prints the seed's case and repeats. */
#include <algorithm>
#include <string>
#include <vector>

#include "base/crc.hpp"
#include "base/digest.hpp"

/* after the C++ headers: check.h defines macros such as fail() */
#include <check.h>
#include "check_cxx.h"

using bigupload::Digest;
using bigupload::DigestAlg;

static const DigestAlg all_algs[] = {
    DigestAlg::sha256, DigestAlg::sha512, DigestAlg::sha1,      DigestAlg::md5,
    DigestAlg::crc32,  DigestAlg::crc32c, DigestAlg::crc64nvme,
};

static const DigestAlg crc_algs[] = {DigestAlg::crc32, DigestAlg::crc32c, DigestAlg::crc64nvme};

static std::string hex_of(DigestAlg alg, const std::string &data)
{
    return bigupload::to_hex(bigupload::digest_of(alg, data.data(), data.size()));
}

/* a small deterministic generator for split points and chunk sizes */
struct Rng {
    std::uint64_t x;
    explicit Rng(std::uint64_t seed) : x(seed * 0x9e3779b97f4a7c15ull + 1) {}
    std::uint64_t next()
    {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        return x;
    }
    std::size_t below(std::size_t n) { return n == 0 ? 0 : static_cast<std::size_t>(next() % n); }
};

/* feeds data[from, to) in random-sized chunks (1 byte to 70 KiB) */
static void feed(Digest &d, const std::string &data, std::size_t from, std::size_t to, Rng &rng)
{
    while (from < to) {
        std::size_t n = 1 + rng.below(rng.below(2) ? 200 : 70000);
        if (n > to - from) {
            n = to - from;
        }
        d.update(data.data() + from, n);
        from += n;
    }
}

/* CRC-64/NVME one bit at a time: an implementation independent of the
 * library's tables and folding */
static std::uint64_t crc64nvme_bitwise(const std::string &s)
{
    std::uint64_t r = ~0ull;
    for (unsigned char c : s) {
        r ^= c;
        for (int b = 0; b < 8; b++) {
            r = r & 1 ? (r >> 1) ^ 0x9a6c9329ac4bc9b5ull : r >> 1;
        }
    }
    return ~r;
}

START_TEST(test_published_values)
{
    const std::string abc = "abc", check = "123456789", empty;
    const std::string million(1000000, 'a');

    ck_assert_sstr_eq(hex_of(DigestAlg::sha256, abc),
                      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    ck_assert_sstr_eq(hex_of(DigestAlg::sha256, million),
                      "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    ck_assert_sstr_eq(hex_of(DigestAlg::sha512, abc),
                      "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
                      "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
    ck_assert_sstr_eq(hex_of(DigestAlg::sha512, empty),
                      "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
                      "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e");
    ck_assert_sstr_eq(hex_of(DigestAlg::sha512, million),
                      "e718483d0ce769644e2e42c7bc15b4638e1f98b13b2044285632a803afa973eb"
                      "de0ff244877ea60a4cb0432ce577c31beb009c5c2c49aa2e4eadb217ad8cc09b");
    ck_assert_sstr_eq(hex_of(DigestAlg::sha1, abc), "a9993e364706816aba3e25717850c26c9cd0d89d");
    ck_assert_sstr_eq(hex_of(DigestAlg::sha1, million), "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
    ck_assert_sstr_eq(hex_of(DigestAlg::md5, abc), "900150983cd24fb0d6963f7d28e17f72");
    ck_assert_sstr_eq(hex_of(DigestAlg::md5, empty), "d41d8cd98f00b204e9800998ecf8427e");

    /* the CRC catalogue's check values, big-endian */
    ck_assert_sstr_eq(hex_of(DigestAlg::crc32, check), "cbf43926");
    ck_assert_sstr_eq(hex_of(DigestAlg::crc32, million), "dc25bfbc");  /* zlib.crc32 */
    ck_assert_sstr_eq(hex_of(DigestAlg::crc32c, check), "e3069283");
    ck_assert_sstr_eq(hex_of(DigestAlg::crc64nvme, check), "ae8b14860a799888");
    for (DigestAlg a : crc_algs) {
        ck_assert_sstr_eq(hex_of(a, empty), std::string(2 * bigupload::digest_size(a), '0'));
    }

    ck_assert_uint_eq(bigupload::update_crc32(0, check.data(), 9), 0xcbf43926u);
    ck_assert_uint_eq(bigupload::update_crc32c(0, check.data(), 9), 0xe3069283u);
    ck_assert(bigupload::update_crc64nvme(0, check.data(), 9) == 0xae8b14860a799888ull);
    ck_assert(bigupload::crc_detail::crc64nvme_portable(0, check.data(), 9)
              == 0xae8b14860a799888ull);
}
END_TEST

/* every length up to 1100 at 16 alignments: the folding path (from 256
 * bytes), its table tail and the portable path agree with the bitwise CRC */
START_TEST(test_crc64nvme_paths)
{
    const std::string data = ck_pattern(1100 + 16, 7);

    for (std::size_t off = 0; off < 16; off++) {
        for (std::size_t n = 0; n + off <= data.size() && n <= 1100; n++) {
            std::string s = data.substr(off, n);
            std::uint64_t want = crc64nvme_bitwise(s);
            ck_assert_msg(bigupload::update_crc64nvme(0, s.data(), n) == want, "off %zu len %zu",
                          off, n);
            ck_assert_msg(bigupload::crc_detail::crc64nvme_portable(0, s.data(), n) == want,
                          "portable: off %zu len %zu", off, n);
        }
    }

    /* a large buffer, and chained calls */
    const std::string big = ck_pattern(3 << 20, 8);
    std::uint64_t want = crc64nvme_bitwise(big);
    ck_assert(bigupload::update_crc64nvme(0, big.data(), big.size()) == want);
    ck_assert(bigupload::crc_detail::crc64nvme_portable(0, big.data(), big.size()) == want);
    std::uint64_t c = bigupload::update_crc64nvme(0, big.data(), 1000003);
    c = bigupload::update_crc64nvme(c, big.data() + 1000003, big.size() - 1000003);
    ck_assert(c == want);
}
END_TEST

START_TEST(test_streaming_and_copies)
{
    const std::string data = ck_pattern(600000, 3);
    Rng rng(1);

    for (DigestAlg a : all_algs) {
        std::string want = bigupload::digest_of(a, data.data(), data.size());
        ck_assert_uint_eq(want.size(), bigupload::digest_size(a));

        Digest d(a);
        ck_assert(d.alg() == a);
        feed(d, data, 0, 250000, rng);
        ck_assert(d.consumed() == 250000);

        /* a copy goes on alone: the digest so far, the original unchanged */
        Digest peek = d;
        ck_assert_sstr_eq(bigupload::to_hex(peek.final()),
                          hex_of(a, data.substr(0, 250000)));
        ck_assert(peek.consumed() == 0);

        feed(d, data, 250000, data.size(), rng);
        d.update(nullptr, 0);
        ck_assert(d.consumed() == data.size());
        ck_assert_sstr_eq(bigupload::to_hex(d.final()), bigupload::to_hex(want));

        /* reusable after final() and reset() */
        ck_assert(d.consumed() == 0);
        d.update("123456789", 9);
        ck_assert_sstr_eq(bigupload::to_hex(d.final()), hex_of(a, "123456789"));
        d.update("x", 1);
        d.reset();
        ck_assert_sstr_eq(bigupload::to_hex(d.final()), hex_of(a, ""));
    }
}
END_TEST

/* Hash a prefix, save, restore into a new object, go on: the digest of an
 * uninterrupted run, for split points around every block boundary and at
 * random, and the saved form has exactly the documented length. */
START_TEST(test_saved_state_continues)
{
    const std::string data = ck_pattern(300000, 4);
    std::vector<std::size_t> cuts = {0, 1, 55, 56, 63, 64, 65, 111, 112, 127, 128, 129, 1000, 300000};
    Rng rng(2);
    for (int i = 0; i < 40; i++) {
        cuts.push_back(rng.below(data.size() + 1));
    }

    for (DigestAlg a : all_algs) {
        std::string want = hex_of(a, data);
        std::size_t block = a == DigestAlg::sha512 ? 128 : 64;
        std::size_t words = a == DigestAlg::sha256 ? 32 : a == DigestAlg::sha512 ? 64
                            : a == DigestAlg::sha1 ? 20 : a == DigestAlg::md5 ? 16
                            : bigupload::digest_size(a);

        for (std::size_t cut : cuts) {
            Digest d(a);
            feed(d, data, 0, cut, rng);
            std::string saved = d.save();

            std::size_t len = 10 + words + (bigupload::digest_is_crc(a) ? 0 : cut % block);
            ck_assert_msg(saved.size() == len, "%s cut %zu: %zu bytes", bigupload::digest_name(a),
                          cut, saved.size());
            ck_assert_uint_eq((unsigned char) saved[0], 1);
            ck_assert_uint_eq((unsigned char) saved[1], (unsigned) a);

            Digest r(a);
            r.update("junk that restore() replaces", 28);
            ck_assert(r.restore(saved));
            ck_assert(r.consumed() == cut);
            ck_assert_sstr_eq(r.save(), saved);

            feed(r, data, cut, data.size(), rng);
            ck_assert_msg(bigupload::to_hex(r.final()) == want, "%s cut %zu",
                          bigupload::digest_name(a), cut);
        }
    }
}
END_TEST

/* A saved state is durable input: whatever is wrong with it is refused, and
 * the object keeps its own state. */
START_TEST(test_bad_saved_states_refused)
{
    const std::string data = ck_pattern(1000, 5);

    for (DigestAlg a : all_algs) {
        Digest src(a);
        src.update(data.data(), 100);
        const std::string good = src.save();

        Digest d(a);
        d.update("abc", 3);
        std::vector<std::string> bad = {
            "",
            good.substr(0, 1),
            good.substr(0, 9),
            good.substr(0, good.size() - 1),
            good + "x",
            good + good,
        };
        std::string s = good;
        s[0] = 2; /* version */
        bad.push_back(s);
        s = good;
        s[0] = 0;
        bad.push_back(s);
        s = good;
        s[1] = 99; /* unknown algorithm */
        bad.push_back(s);
        s = good;
        s[1] = 0;
        bad.push_back(s);
        if (!bigupload::digest_is_crc(a)) {
            /* a count that does not match the buffered bytes */
            s = good;
            s[2] = static_cast<char>(s[2] + 1);
            bad.push_back(s);
        }

        for (const std::string &b : bad) {
            ck_assert_msg(!d.restore(b), "%s: accepted %zu bytes", bigupload::digest_name(a),
                          b.size());
        }

        /* another algorithm's state, valid as such */
        for (DigestAlg other : all_algs) {
            if (other != a) {
                Digest o(other);
                o.update(data.data(), 100);
                ck_assert(!d.restore(o.save()));
            }
        }

        /* unchanged by all that */
        ck_assert(d.consumed() == 3);
        ck_assert_sstr_eq(bigupload::to_hex(d.final()), hex_of(a, "abc"));
    }

    /* the 32-bit-word hashes count bits in 64 bits: 2^61 bytes is too many
     * (a length that is otherwise right: 2^61 % 64 == 0 bytes buffered) */
    for (DigestAlg a : {DigestAlg::sha256, DigestAlg::sha1, DigestAlg::md5}) {
        Digest src(a);
        std::string s = src.save();
        s[9] = 0x20; /* consumed = 2^61 */
        Digest d(a);
        ck_assert(!d.restore(s));
        s[9] = 0x1f; /* 2^61 - 2^56: still a multiple of 64, accepted */
        ck_assert(d.restore(s));
    }
    /* sha512 counts in 128 bits: any 64-bit byte count is fine */
    {
        Digest src(DigestAlg::sha512);
        std::string s = src.save();
        s[9] = static_cast<char>(0x80);
        Digest d(DigestAlg::sha512);
        ck_assert(d.restore(s));
        ck_assert(d.consumed() == 1ull << 63);
    }
}
END_TEST

/* Random data cut into 1-9 ranges at random points, each range hashed by its
 * own object in a random order, the CRCs combined in file order: the CRC of
 * the whole, for each CRC; hashes refuse to combine. */
START_TEST(test_crc_combine)
{
    const std::string data = ck_pattern(1 << 20, 6);
    Rng rng(3);

    for (DigestAlg a : crc_algs) {
        std::string want = bigupload::digest_of(a, data.data(), data.size());

        for (int round = 0; round < 30; round++) {
            std::vector<std::size_t> cuts = {0, data.size()};
            std::size_t k = rng.below(9);
            for (std::size_t i = 0; i < k; i++) {
                cuts.push_back(rng.below(data.size() + 1));
            }
            std::sort(cuts.begin(), cuts.end());

            std::vector<Digest> parts(cuts.size() - 1, Digest(a));
            std::vector<std::size_t> order(parts.size());
            for (std::size_t i = 0; i < order.size(); i++) {
                order[i] = i;
            }
            for (std::size_t i = order.size(); i > 1; i--) {
                std::swap(order[i - 1], order[rng.below(i)]);
            }
            for (std::size_t i : order) {
                feed(parts[i], data, cuts[i], cuts[i + 1], rng);
            }

            Digest whole = parts[0];
            for (std::size_t i = 1; i < parts.size(); i++) {
                ck_assert(whole.combine(parts[i]));
            }
            ck_assert(whole.consumed() == data.size());
            ck_assert_msg(whole.final() == want, "%s round %d", bigupload::digest_name(a), round);

            /* the integer functions, with the cut at the first inner point */
            std::size_t cut = cuts[cuts.size() / 2];
            Digest da(a), db(a);
            da.update(data.data(), cut);
            db.update(data.data() + cut, data.size() - cut);
            std::uint64_t ca = da.crc(), cb = db.crc();
            std::uint64_t all = a == DigestAlg::crc32
                                    ? bigupload::combine_crc32((std::uint32_t) ca, (std::uint32_t) cb,
                                                               data.size() - cut)
                                : a == DigestAlg::crc32c
                                    ? bigupload::combine_crc32c((std::uint32_t) ca,
                                                                (std::uint32_t) cb, data.size() - cut)
                                    : bigupload::combine_crc64nvme(ca, cb, data.size() - cut);
            Digest straight(a);
            straight.update(data.data(), data.size());
            ck_assert(all == straight.crc());
        }

        /* empty ranges on either side */
        Digest x(a), empty(a);
        x.update(data.data(), 1000);
        std::uint64_t c = x.crc();
        ck_assert(x.combine(empty));
        ck_assert(x.crc() == c && x.consumed() == 1000);
        ck_assert(empty.combine(x));
        ck_assert(empty.crc() == c && empty.consumed() == 1000);
    }

    /* a CRC and a hash, two different CRCs, two hashes: refused, unchanged */
    Digest c32(DigestAlg::crc32c), c64(DigestAlg::crc64nvme), sha(DigestAlg::sha256);
    c32.update("abc", 3);
    ck_assert(!c32.combine(c64));
    ck_assert(!c32.combine(sha));
    ck_assert(!sha.combine(sha));
    ck_assert(c32.consumed() == 3);
    ck_assert_sstr_eq(bigupload::to_hex(c32.final()), hex_of(DigestAlg::crc32c, "abc"));
    ck_assert(sha.crc() == 0);
}
END_TEST

/* Terabyte lengths have no data to compare with: the combination must be
 * associative whatever the lengths, which exercises every power of x. */
START_TEST(test_crc_combine_huge_lengths)
{
    const std::uint64_t lens[] = {1, 4096, 1ull << 31, (1ull << 40) + 12345, 1ull << 62,
                                  ~0ull >> 1};
    Rng rng(4);

    for (std::uint64_t lb : lens) {
        for (std::uint64_t lc : lens) {
            if (lb + lc < lb) {
                continue;
            }
            std::uint64_t a = rng.next(), b = rng.next(), c = rng.next();
            ck_assert(bigupload::combine_crc64nvme(bigupload::combine_crc64nvme(a, b, lb), c, lc)
                      == bigupload::combine_crc64nvme(a, bigupload::combine_crc64nvme(b, c, lc),
                                                      lb + lc));
            std::uint32_t a4 = (std::uint32_t) a, b4 = (std::uint32_t) b, c4 = (std::uint32_t) c;
            ck_assert(bigupload::combine_crc32c(bigupload::combine_crc32c(a4, b4, lb), c4, lc)
                      == bigupload::combine_crc32c(a4, bigupload::combine_crc32c(b4, c4, lc),
                                                   lb + lc));
            ck_assert(bigupload::combine_crc32(bigupload::combine_crc32(a4, b4, lb), c4, lc)
                      == bigupload::combine_crc32(a4, bigupload::combine_crc32(b4, c4, lc),
                                                  lb + lc));
        }
    }

    /* 1 MiB of zeros: combining two halves equals hashing it */
    const std::string zeros(1 << 20, '\0');
    std::uint64_t half = bigupload::update_crc64nvme(0, zeros.data(), zeros.size() / 2);
    ck_assert(bigupload::combine_crc64nvme(half, half, zeros.size() / 2)
              == bigupload::update_crc64nvme(0, zeros.data(), zeros.size()));
}
END_TEST

START_TEST(test_names)
{
    const char *names[] = {"sha256", "sha512", "sha1", "md5", "crc32", "crc32c", "crc64nvme"};
    const char *keys[] = {"sha-256", "sha-512", "sha", "md5", nullptr, "crc32c", "crc64nvme"};
    const std::size_t sizes[] = {32, 64, 20, 16, 4, 4, 8};

    for (std::size_t i = 0; i < 7; i++) {
        DigestAlg a = all_algs[i];
        ck_assert_str_eq(bigupload::digest_name(a), names[i]);
        ck_assert(bigupload::digest_from_name(names[i]) == a);
        ck_assert_uint_eq(bigupload::digest_size(a), sizes[i]);
        ck_assert(bigupload::digest_is_crc(a) == (i >= 4));
        if (keys[i] == nullptr) {
            ck_assert_ptr_null(bigupload::digest_field_key(a));
        } else {
            ck_assert_str_eq(bigupload::digest_field_key(a), keys[i]);
            ck_assert(bigupload::digest_from_field_key(keys[i]) == a);
        }
    }

    /* exact: no case folding, no spaces, no mixing of the two vocabularies */
    const char *not_names[] = {"", "SHA256", "sha-256", "sha256 ", " sha256", "sha", "crc64"};
    for (const char *n : not_names) {
        ck_assert_msg(!bigupload::digest_from_name(n), "\"%s\"", n);
    }
    ck_assert(!bigupload::digest_from_name(std::string("sha256\0", 7)));
    const char *not_keys[] = {"", "SHA-256", "sha256", "sha1", "crc32", "sha-256 ", "unixsum"};
    for (const char *k : not_keys) {
        ck_assert_msg(!bigupload::digest_from_field_key(k), "\"%s\"", k);
    }

    /* outside the enum: harmless answers */
    DigestAlg odd = static_cast<DigestAlg>(99);
    ck_assert_str_eq(bigupload::digest_name(odd), "");
    ck_assert_ptr_null(bigupload::digest_field_key(odd));
    ck_assert_uint_eq(bigupload::digest_size(odd), 0);
    ck_assert(!bigupload::digest_is_crc(odd));
    Digest d(odd);
    d.update("abc", 3);
    ck_assert_sstr_eq(d.final(), "");
    ck_assert(!d.restore(Digest(DigestAlg::sha256).save()));
}
END_TEST

START_TEST(test_encodings)
{
    ck_assert_sstr_eq(bigupload::to_hex(std::string("\x00\x0a\xff\x7f", 4)), "000aff7f");
    ck_assert_sstr_eq(bigupload::to_hex(""), "");
    ck_assert(bigupload::from_hex("000aFF7f") == std::string("\x00\x0a\xff\x7f", 4));
    ck_assert(bigupload::from_hex("") == std::string());
    ck_assert(!bigupload::from_hex("abc"));
    ck_assert(!bigupload::from_hex("zz"));
    ck_assert(!bigupload::from_hex("0x12"));
    ck_assert(!bigupload::from_hex("12 "));

    /* RFC 4648 section 10 */
    const char *plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    const char *coded[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
    for (int i = 0; i < 7; i++) {
        ck_assert_sstr_eq(bigupload::to_base64(plain[i]), coded[i]);
    }
    /* longer than one internal step: the same as encoding 3-byte groups */
    const std::string big = ck_pattern(100001, 9);
    std::string pieces;
    for (std::size_t off = 0; off < big.size(); off += 3) {
        pieces += bigupload::to_base64(big.substr(off, 3));
    }
    ck_assert_sstr_eq(bigupload::to_base64(big), pieces);
}
END_TEST

START_TEST(test_field_values)
{
    using bigupload::digest_field_value;
    using bigupload::digest_of;

    ck_assert_sstr_eq(digest_field_value(DigestAlg::sha256, digest_of(DigestAlg::sha256, "", 0)),
                      "sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:");
    ck_assert_sstr_eq(digest_field_value(DigestAlg::sha512, digest_of(DigestAlg::sha512, "abc", 3)),
                      "sha-512=:3a81oZNherrMQXNJriBBMRLm+k6JqX6iCp7u5ktV05ohkpkqJ0/BqDa6PCOj/uu9"
                      "RU1EI2Q86A4qmslPpUyknw==:");
    ck_assert_sstr_eq(digest_field_value(DigestAlg::crc32c,
                                         digest_of(DigestAlg::crc32c, "123456789", 9)),
                      "crc32c=:4waSgw==:");
    ck_assert_sstr_eq(digest_field_value(DigestAlg::crc64nvme,
                                         digest_of(DigestAlg::crc64nvme, "123456789", 9)),
                      "crc64nvme=:rosUhgp5mIg=:");

    /* no key, or a raw digest of the wrong size */
    ck_assert_sstr_eq(digest_field_value(DigestAlg::crc32, digest_of(DigestAlg::crc32, "a", 1)), "");
    ck_assert_sstr_eq(digest_field_value(DigestAlg::sha256, digest_of(DigestAlg::sha512, "", 0)), "");
    ck_assert_sstr_eq(digest_field_value(DigestAlg::sha256, ""), "");
    ck_assert_sstr_eq(digest_field_value(static_cast<DigestAlg>(99), ""), "");
}
END_TEST

Suite *hash_suite(void)
{
    Suite *s = suite_create("hash");
    TCase *tc = tcase_create("core");

    /* the large buffers and bitwise references take a few seconds under load */
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_published_values);
    tcase_add_test(tc, test_crc64nvme_paths);
    tcase_add_test(tc, test_streaming_and_copies);
    tcase_add_test(tc, test_saved_state_continues);
    tcase_add_test(tc, test_bad_saved_states_refused);
    tcase_add_test(tc, test_crc_combine);
    tcase_add_test(tc, test_crc_combine_huge_lengths);
    tcase_add_test(tc, test_names);
    tcase_add_test(tc, test_encodings);
    tcase_add_test(tc, test_field_values);
    suite_add_tcase(s, tc);

    return s;
}
