// What a zero-copy body path could gain here (issue 14, deliverable 2): a
// one-connection HTTP/1.1 PUT receiver that stores a Content-Length body in
// a file in one of three ways, each measured with curl -T as the client:
//
//   copy     recv() into a 1 MiB buffer, pwrite() it (what nginx DAV does)
//   splice   splice() from the socket into a pipe, and from the pipe into the
//            file at its offset: the bytes never enter user space
//   splice+map  the same, then the written range hashed (sha256) through a
//            mapping of the page cache, as the zero-copy path would hash
//   copy+sha the copy path, hashing each buffer before its write
//
// Usage: splice-speed MODE PORT FILE   (serves one PUT, prints "listening",
//        then "MODE bytes seconds cpu-seconds sha256" on stdout, the CPU being
//        the receiver's user + system time; scripts/bench-zerocopy drives it)
// A measurement tool, not part of the module.

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/evp.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

[[noreturn]] void die(const char *what)
{
    std::perror(what);
    std::exit(1);
}

constexpr std::size_t chunk = 1 << 20;

struct Hash {
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    Hash() { EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr); }
    ~Hash() { EVP_MD_CTX_free(ctx); }
    void add(const void *p, std::size_t n) { EVP_DigestUpdate(ctx, p, n); }
    std::string hex()
    {
        unsigned char md[32];
        unsigned int n = 0;
        EVP_DigestFinal_ex(ctx, md, &n);
        std::string s;
        char b[3];
        for (unsigned int i = 0; i < n; i++) {
            std::snprintf(b, sizeof b, "%02x", md[i]);
            s += b;
        }
        return s;
    }
};

// the request head (and whatever of the body came with it)
std::string read_head(int s, std::string &rest)
{
    std::string buf;
    char tmp[4096];
    for (;;) {
        std::size_t end = buf.find("\r\n\r\n");
        if (end != std::string::npos) {
            rest = buf.substr(end + 4);
            return buf.substr(0, end);
        }
        ssize_t n = recv(s, tmp, sizeof tmp, 0);
        if (n <= 0) {
            die("recv head");
        }
        buf.append(tmp, n);
    }
}

long long content_length(const std::string &head)
{
    std::size_t p = head.find("Content-Length:");
    if (p == std::string::npos) {
        p = head.find("content-length:");
    }
    if (p == std::string::npos) {
        std::fprintf(stderr, "no Content-Length\n");
        std::exit(1);
    }
    return std::atoll(head.c_str() + p + 15);
}

}  // namespace

int main(int argc, char **argv)
{
    if (argc != 4) {
        std::fprintf(stderr, "usage: splice-speed copy|copy+sha|splice|splice+map PORT FILE\n");
        return 2;
    }
    std::string mode = argv[1];
    int port = std::atoi(argv[2]);

    int ls = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(ls, (sockaddr *) &a, sizeof a) != 0 || listen(ls, 1) != 0) {
        die("bind");
    }
    std::printf("listening\n");
    std::fflush(stdout);

    int s = accept(ls, nullptr, nullptr);
    if (s < 0) {
        die("accept");
    }
    std::string rest;
    std::string head = read_head(s, rest);
    long long len = content_length(head);
    if (head.find("Expect: 100-continue") != std::string::npos) {
        const char c100[] = "HTTP/1.1 100 Continue\r\n\r\n";
        (void) !write(s, c100, sizeof c100 - 1);
    }

    int fd = open(argv[3], O_RDWR | O_CREAT | O_TRUNC, 0644);   // (read: the mapping)
    if (fd < 0) {
        die("open");
    }
    auto t0 = std::chrono::steady_clock::now();
    Hash h;
    bool hashing = mode == "copy+sha" || mode == "splice+map";
    long long off = 0;

    // the part that came with the head, as nginx's preread
    if (!rest.empty()) {
        if (hashing) {
            h.add(rest.data(), rest.size());
        }
        if (pwrite(fd, rest.data(), rest.size(), 0) != (ssize_t) rest.size()) {
            die("pwrite");
        }
        off = rest.size();
    }

    if (mode == "copy" || mode == "copy+sha") {
        std::vector<char> buf(chunk);
        while (off < len) {
            ssize_t n = recv(s, buf.data(), std::min<long long>(chunk, len - off), 0);
            if (n <= 0) {
                die("recv");
            }
            if (hashing) {
                h.add(buf.data(), n);
            }
            if (pwrite(fd, buf.data(), n, off) != n) {
                die("pwrite");
            }
            off += n;
        }
    } else if (mode == "splice" || mode == "splice+map") {
        int p[2];
        if (pipe(p) != 0) {
            die("pipe");
        }
        fcntl(p[1], F_SETPIPE_SZ, (int) chunk);
        long long mapped = off;   // hashed up to here (splice+map)
        while (off < len) {
            ssize_t n = splice(s, nullptr, p[1], nullptr, std::min<long long>(chunk, len - off),
                               SPLICE_F_MOVE);
            if (n <= 0) {
                die("splice in");
            }
            ssize_t left = n;
            while (left > 0) {
                loff_t o = off;
                ssize_t m = splice(p[0], nullptr, fd, &o, left, SPLICE_F_MOVE);
                if (m <= 0) {
                    die("splice out");
                }
                left -= m;
                off += m;
            }
            if (hashing && (off - mapped >= (long long) (4 * chunk) || off == len)) {
                // the written range, from the page cache (page-aligned start)
                long long from = mapped & ~4095LL;
                std::size_t size = off - from;
                void *m = mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, from);
                if (m == MAP_FAILED) {
                    die("mmap");
                }
                h.add((char *) m + (mapped - from), off - mapped);
                munmap(m, size);
                mapped = off;
            }
        }
    } else {
        std::fprintf(stderr, "unknown mode %s\n", mode.c_str());
        return 2;
    }
    auto t1 = std::chrono::steady_clock::now();

    std::string sha = hashing ? h.hex() : std::string("-");
    std::string body = "{\"sha256\":\"" + sha + "\"}\n";
    std::string answer = "HTTP/1.1 201 Created\r\nContent-Length: " + std::to_string(body.size())
                         + "\r\nConnection: close\r\n\r\n" + body;
    (void) !write(s, answer.data(), answer.size());
    close(s);
    close(fd);
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    double cpu = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec
                 + ru.ru_stime.tv_usec / 1e6;
    std::printf("%s %lld %.4f %.3f %s\n", mode.c_str(), off,
                std::chrono::duration<double>(t1 - t0).count(), cpu, sha.c_str());
    return 0;
}
