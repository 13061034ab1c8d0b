// The bookkeeping of an upload's ring of body buffers, apart from the
// buffers themselves (the glue's): which hold data, which of those the hash
// lane and the write lane are done with, and which one is being filled.
//
// The ring holds count() buffers of data, oldest first, from head(); the one
// after them is being filled.  Each lane takes the data buffers in order; a
// buffer both lanes are done with is free again (pop()).
//
// It also sizes the buffers, so that memory follows the upload's speed: the
// glue takes a buffer only when one is to be filled, of buffer_size() bytes,
// and gives it back once popped.  The size starts small and doubles (up to
// the configured size) whenever the ring fills, that is when the body comes
// faster than the lanes drain it; it halves (down to the first size) when
// the upload waits for its client with nothing in the ring and did not fill
// the ring since it last waited.  A partly filled buffer handed on because
// the client paused (push_idle()) says the upload is slow: the ring filling
// with those (lanes lagging behind many slow uploads) grows nothing.  A slow upload thus holds one small buffer,
// whatever its bursts, and a fast one reaches the configured size within a
// few rings.
#pragma once

#include <cstddef>
#include <stdexcept>

namespace bigupload {

class Ring {
public:
    // the first and smallest buffer: nginx's own default read buffer
    static constexpr std::size_t first_size = 16 * 1024;

    // n buffers of at most max_size bytes (0: the bookkeeping alone)
    void reset(std::size_t n, std::size_t max_size = 0)
    {
        n_ = n;
        head_ = count_ = hashed_ = written_ = 0;
        max_ = max_size;
        min_ = max_size < first_size ? max_size : first_size;
        size_ = min_;
        filled_ = false;
    }

    // the size of the next buffer to take for filling
    std::size_t buffer_size() const { return size_; }

    std::size_t capacity() const { return n_; }
    std::size_t count() const { return count_; }
    bool full() const { return count_ == n_; }
    bool empty() const { return count_ == 0; }

    // The index of the k-th data buffer (0: the oldest).
    std::size_t at(std::size_t k) const { return (head_ + k) % n_; }
    std::size_t head() const { return head_; }

    // The buffer being filled (when not full), and the end of its filling:
    // it holds data from now on.
    std::size_t filling() const { return at(count_); }
    void push()
    {
        if (full()) {
            throw std::logic_error("ring: push into a full ring");
        }
        count_++;

        if (full()) {
            // the body comes faster than the lanes drain it
            filled_ = true;
            size_ = size_ > max_ / 2 ? max_ : size_ * 2;
        }
    }

    // The buffer being filled, partly, is handed on because the client sent
    // nothing for a while: it holds data like any other, but is no sign of
    // a body faster than the lanes.
    void push_idle()
    {
        if (full()) {
            throw std::logic_error("ring: push into a full ring");
        }
        count_++;
    }

    // The upload waits for its client (all it sent is read): with nothing
    // left to hash or write and no full ring since it last waited, smaller
    // buffers do.
    void waiting()
    {
        if (count_ == 0 && !filled_ && size_ > min_) {
            size_ = size_ / 2 < min_ ? min_ : size_ / 2;
        }
        if (count_ == 0) {
            filled_ = false;
        }
    }

    // What the lanes are done with: the first hashed() / written() data
    // buffers.
    std::size_t hashed() const { return hashed_; }
    std::size_t written() const { return written_; }
    void hashed_more(std::size_t k) { hashed_ = checked(hashed_ + k); }
    void written_more(std::size_t k) { written_ = checked(written_ + k); }
    // every data buffer counts as hashed (a request that is not hashed)
    void hash_none() { hashed_ = count_; }
    // hashing follows writing (one lane that does both)
    void hashed_with_writes()
    {
        if (hashed_ < written_) {
            hashed_ = written_;
        }
    }

    // Frees the oldest buffer when both lanes are done with it: true with
    // its index.
    bool pop(std::size_t &index)
    {
        if (hashed_ == 0 || written_ == 0) {
            return false;
        }
        index = head_;
        head_ = (head_ + 1) % n_;
        count_--;
        hashed_--;
        written_--;
        return true;
    }

private:
    std::size_t checked(std::size_t v) const
    {
        if (v > count_) {
            throw std::logic_error("ring: a lane past the data");
        }
        return v;
    }

    std::size_t n_ = 0;
    std::size_t head_ = 0;
    std::size_t count_ = 0;
    std::size_t hashed_ = 0;
    std::size_t written_ = 0;
    std::size_t max_ = 0;
    std::size_t min_ = 0;
    std::size_t size_ = 0;
    bool filled_ = false;      // the ring was full since the upload last waited
};

}  // namespace bigupload
