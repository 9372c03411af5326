// Forward iteration over a trie: entries of a node first, then its sub-nodes, depth first.
// The iterator carries its own fixed-size path, so iterating never allocates.
#pragma once

#include <ctxvar/detail/hamt/node.hpp>

#include <cstddef>
#include <iterator>

namespace ctxvar::detail::hamt {

template <class NodeT>
class Iterator {
  public:
    using value_type = typename NodeT::entry_type;
    using reference = const value_type&;
    using pointer = const value_type*;
    using difference_type = std::ptrdiff_t;
    using iterator_category = std::forward_iterator_tag;

    Iterator() noexcept = default; // the end

    explicit Iterator(const NodeT* root) noexcept {
        if (root == nullptr) {
            return;
        }
        path_[0] = {root, 0};
        depth_ = 1;
        if (root->count == 0) {
            next_node();
        }
    }

    reference operator*() const noexcept { return top().node->entries()[entry_]; }
    pointer operator->() const noexcept { return &**this; }

    Iterator& operator++() noexcept {
        if (++entry_ == top().node->count) {
            next_node();
        }
        return *this;
    }
    Iterator operator++(int) noexcept {
        Iterator old = *this;
        ++*this;
        return old;
    }

    friend bool operator==(const Iterator& a, const Iterator& b) noexcept {
        if (a.depth_ != b.depth_) {
            return false;
        }
        return a.depth_ == 0 || (a.top().node == b.top().node && a.entry_ == b.entry_);
    }

  private:
    struct Frame {
        const NodeT* node = nullptr;
        unsigned next_child = 0;
    };

    const Frame& top() const noexcept { return path_[depth_ - 1]; }

    // Moves to the first entry of the next node in depth-first order, or to the end.
    void next_node() noexcept {
        entry_ = 0;
        while (depth_ != 0) {
            Frame& f = path_[depth_ - 1];
            if (f.next_child == f.node->child_count()) {
                --depth_;
                continue;
            }
            const NodeT* child = f.node->children()[f.next_child++];
            path_[depth_++] = {child, 0};
            if (child->count != 0) {
                return;
            }
        }
    }

    Frame path_[max_depth + 1];
    unsigned depth_ = 0; // frames in use; 0 = the end
    unsigned entry_ = 0; // index of the current entry in the top frame's node
};

} // namespace ctxvar::detail::hamt
