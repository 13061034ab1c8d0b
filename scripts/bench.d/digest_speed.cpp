// A quick local micro-benchmark of the digest library (not a test: it
// asserts nothing and prints GB/s).  `make digest-speed` builds and runs it.
//
//   build/digest-speed [MiB per measure, default 512] [buffer KiB, default 256]
//
// Each algorithm hashes the same buffer over and over (in cache, as an
// upload's body buffers are), best of 3 runs; EVP's sha256/sha512 are
// measured the same way beside the Digest class, which must match them.
// Times are the thread's CPU time, not the wall clock: on a machine shared
// with other work, a core taken away does not count as slowness.
#include <time.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <openssl/evp.h>

#include "base/crc.hpp"
#include "base/digest.hpp"

using bigupload::Digest;
using bigupload::DigestAlg;

namespace {

double cpu_now()
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

double seconds_since(double t0) { return cpu_now() - t0; }

template <class F>
double best_gbps(std::size_t total, std::size_t buf, F &&hash_once)
{
    double best = 0;
    for (int run = 0; run < 3; run++) {
        double t0 = cpu_now();
        for (std::size_t done = 0; done < total; done += buf) {
            hash_once();
        }
        double gbps = static_cast<double>(total) / seconds_since(t0) / 1e9;
        best = gbps > best ? gbps : best;
    }
    return best;
}

}  // namespace

int main(int argc, char **argv)
{
    std::size_t total = (argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 512) << 20;
    std::size_t buf = (argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 256) << 10;
    std::vector<unsigned char> data(buf);
    for (std::size_t i = 0; i < buf; i++) {
        data[i] = static_cast<unsigned char>(i * 2654435761u >> 13);
    }

    std::printf("%zu MiB per measure, %zu KiB buffer, best of 3, CPU time\n", total >> 20, buf >> 10);

    const DigestAlg algs[] = {DigestAlg::sha256, DigestAlg::sha512, DigestAlg::sha1,
                              DigestAlg::md5,    DigestAlg::crc32,  DigestAlg::crc32c,
                              DigestAlg::crc64nvme};
    for (DigestAlg a : algs) {
        Digest d(a);
        double g = best_gbps(total, buf, [&] { d.update(data.data(), buf); });
        std::printf("  %-20s %6.2f GB/s   (%s)\n", bigupload::digest_name(a), g,
                    bigupload::to_hex(d.final()).substr(0, 16).c_str());
    }

    std::uint64_t sink = 0;
    double g = best_gbps(total, buf, [&] {
        sink ^= bigupload::crc_detail::crc64nvme_portable(sink, data.data(), buf);
    });
    std::printf("  %-20s %6.2f GB/s   (no PCLMULQDQ)\n", "crc64nvme portable", g);

    const EVP_MD *mds[] = {EVP_sha256(), EVP_sha512()};
    const char *md_names[] = {"EVP sha256", "EVP sha512"};
    for (int i = 0; i < 2; i++) {
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        EVP_DigestInit_ex(ctx, mds[i], nullptr);
        g = best_gbps(total, buf, [&] { EVP_DigestUpdate(ctx, data.data(), buf); });
        EVP_MD_CTX_free(ctx);
        std::printf("  %-20s %6.2f GB/s   (reference)\n", md_names[i], g);
    }

    // the constant costs: a combination over a terabyte, a save and restore
    const int n = 100000;
    double t0 = cpu_now();
    for (int i = 0; i < n; i++) {
        sink ^= bigupload::combine_crc64nvme(sink, static_cast<std::uint64_t>(i), 1ull << 40);
    }
    std::printf("  combine_crc64nvme over 1 TiB: %.0f ns\n", seconds_since(t0) / n * 1e9);

    Digest s(DigestAlg::sha512);
    s.update(data.data(), 1000);
    t0 = cpu_now();
    for (int i = 0; i < n; i++) {
        Digest r(DigestAlg::sha512);
        sink += r.restore(s.save()) ? 1 : 0;
    }
    std::printf("  sha512 save + restore: %.0f ns\n", seconds_since(t0) / n * 1e9);

    return sink == 42 ? 1 : 0;  // keeps the loops from being optimised away
}
