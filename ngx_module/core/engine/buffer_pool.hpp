// A worker's spare body buffers: what uploads give back is kept, a few of
// each size, for the next upload that takes one of that size, so that a fast
// upload cycling through its ring does not go back to malloc() (and to
// fresh pages) for every buffer, while the spares stay bounded whatever the
// number of uploads.
#pragma once

#include <cstddef>
#include <vector>

namespace bigupload {

class BufferPool {
public:
    // keeps at most per_size spare buffers of each size
    explicit BufferPool(std::size_t per_size = 4) : per_size_(per_size) {}
    ~BufferPool();

    BufferPool(const BufferPool &) = delete;
    BufferPool &operator=(const BufferPool &) = delete;

    // a buffer of "size" bytes (a spare one when there is): nullptr when
    // out of memory
    void *take(std::size_t size);
    // gives back a buffer taken with that size (nullptr: nothing)
    void give(void *p, std::size_t size);

    std::size_t spare_bytes() const { return spare_bytes_; }
    // bytes taken and not given back
    std::size_t held_bytes() const { return held_bytes_; }

private:
    struct Spares {
        std::size_t size;
        std::vector<void *> buffers;
    };

    Spares *spares(std::size_t size);

    std::size_t per_size_;
    std::size_t spare_bytes_ = 0;
    std::size_t held_bytes_ = 0;
    std::vector<Spares> sizes_;
};

}  // namespace bigupload
