// A worker's spare body buffers (see buffer_pool.hpp).
#include "engine/buffer_pool.hpp"

#include <cstdlib>

namespace bigupload {

BufferPool::~BufferPool()
{
    for (auto &s : sizes_) {
        for (void *p : s.buffers) {
            std::free(p);
        }
    }
}

// the spares of one size; sizes are few (the ring's doublings), a list does
BufferPool::Spares *BufferPool::spares(std::size_t size)
{
    for (auto &s : sizes_) {
        if (s.size == size) {
            return &s;
        }
    }
    return nullptr;
}

void *BufferPool::take(std::size_t size)
{
    void *p = nullptr;
    Spares *s = spares(size);

    if (s && !s->buffers.empty()) {
        p = s->buffers.back();
        s->buffers.pop_back();
        spare_bytes_ -= size;
    } else {
        p = std::malloc(size ? size : 1);
    }

    if (p) {
        held_bytes_ += size;
    }
    return p;
}

void BufferPool::give(void *p, std::size_t size)
{
    if (p == nullptr) {
        return;
    }

    held_bytes_ -= size;

    Spares *s = spares(size);

    if (s == nullptr && per_size_ > 0) {
        try {
            sizes_.push_back(Spares{size, {}});
            s = &sizes_.back();
            s->buffers.reserve(per_size_);
        } catch (...) {
            s = nullptr;
        }
    }

    if (s == nullptr || s->buffers.size() >= per_size_) {
        std::free(p);
        return;
    }

    s->buffers.push_back(p);   // reserved: does not throw
    spare_bytes_ += size;
}

}  // namespace bigupload
