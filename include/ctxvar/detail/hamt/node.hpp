// The trie's node: one allocation holding a header, the entries stored at this level and the
// pointers to sub-nodes (CHAMP layout), with the few factories that build new nodes from old.
#pragma once

#include <ctxvar/detail/hamt/bits.hpp>

#include <atomic>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>

namespace ctxvar::detail::hamt {

// A node is immutable once built and shared by every trie that reaches it. Inner nodes (depth
// below max_depth) keep entries and sub-nodes apart: `datamap` marks the slices that hold an
// entry, `nodemap` the slices that hold a sub-node, each packed in slice order. A collision
// node (depth == max_depth) has both maps zero and `count` entries sharing one full hash.
//
// Memory: [Node header][Entry x count][Node* x popcount(nodemap)], one allocation from Alloc.
// The header is 16 bytes; a node's kind follows from its depth, so it is not stored.
template <class K, class V, class Alloc>
struct Node {
    using entry_type = std::pair<K, V>;
    using byte_alloc = typename std::allocator_traits<Alloc>::template rebind_alloc<std::byte>;
    using byte_traits = std::allocator_traits<byte_alloc>;

    // Nodes rely on Alloc aligning as operator new does (std::allocator, malloc and any
    // allocator built on them do); a debug build checks each allocation.
    static_assert(alignof(entry_type) <= __STDCPP_DEFAULT_NEW_ALIGNMENT__,
                  "over-aligned keys or values are not supported");
    static_assert(byte_traits::is_always_equal::value,
                  "the trie keeps no allocator state: Alloc must be stateless");

    mutable std::atomic<std::uint32_t> refs{1}; // changes while the contents never do
    bitmap_t datamap;
    bitmap_t nodemap;
    std::uint32_t count; // entries stored in this node

    // --- layout ------------------------------------------------------------------------------

    static constexpr std::size_t round_up(std::size_t n, std::size_t a) noexcept {
        return (n + a - 1) / a * a;
    }
    static constexpr std::size_t entries_offset() noexcept {
        return round_up(sizeof(Node), alignof(entry_type));
    }
    static constexpr std::size_t children_offset(std::size_t entries) noexcept {
        return round_up(entries_offset() + entries * sizeof(entry_type), alignof(Node*));
    }
    static constexpr std::size_t bytes(std::size_t entries, std::size_t children) noexcept {
        return children_offset(entries) + children * sizeof(Node*);
    }
    std::size_t bytes() const noexcept { return bytes(count, child_count()); }

    unsigned child_count() const noexcept { return popcount(nodemap); }

    entry_type* entries() noexcept {
        return std::launder(reinterpret_cast<entry_type*>(raw() + entries_offset()));
    }
    const entry_type* entries() const noexcept { return const_cast<Node*>(this)->entries(); }
    Node** children() noexcept {
        return std::launder(reinterpret_cast<Node**>(raw() + children_offset(count)));
    }
    Node* const* children() const noexcept { return const_cast<Node*>(this)->children(); }

    // --- ownership ---------------------------------------------------------------------------

    void retain() const noexcept { refs.fetch_add(1, std::memory_order_relaxed); }

    // Drops one reference; the last one destroys the entries, releases the sub-nodes and
    // frees the memory. Recursion is bounded by the trie's depth (max_depth + 1).
    static void release(const Node* node) noexcept {
        if (node == nullptr) {
            return;
        }
        auto* n = const_cast<Node*>(node);
        // Holding the only reference means no one else can add one: skip the atomic write.
        if (n->refs.load(std::memory_order_acquire) != 1 &&
            n->refs.fetch_sub(1, std::memory_order_acq_rel) != 1) {
            return;
        }
        destroy_entries(n, n->count);
        for (unsigned i = 0, c = n->child_count(); i != c; ++i) {
            release(n->children()[i]);
        }
        deallocate(n);
    }

    // --- construction ------------------------------------------------------------------------

    // Where an entry edit or a child edit does nothing.
    static constexpr unsigned none = ~0u;

    // An edit of a packed array: drop the element at `remove` of the old array, place
    // `insert_value` at `insert` of the new one (a replacement drops and places at the same index).
    template <class T>
    struct Edit {
        unsigned remove = none;
        unsigned insert = none;
        T insert_value{};
    };

    // Builds a copy of `old` under new maps, its entries and children edited as given.
    // Kept children gain a reference; `child.insert_value`, an owned reference, is adopted only
    // when the build succeeds. Copying entries may throw: then nothing is allocated or adopted.
    static Node* rebuild(const Node& old, bitmap_t datamap, bitmap_t nodemap,
                         Edit<const entry_type*> entry, Edit<Node*> child = {}) {
        const std::uint32_t count = old.count - (entry.remove != none) + (entry.insert != none);
        Node* n = allocate(datamap, nodemap, count);
        construct_entries(n, [&](unsigned dst, unsigned& src) -> const entry_type& {
            if (dst == entry.insert) {
                return *entry.insert_value;
            }
            src += (src == entry.remove);
            return old.entries()[src++];
        });
        fill_children(n, old, child, /*retain=*/true);
        return n;
    }

    // Like rebuild, for an `old` node its caller owns alone (one reference, reached only through
    // nodes it owns alone): entries move instead of being copied, children change hands without
    // touching their counts, and `old` is freed. A removed child stays the caller's to release.
    // Only the inserted entry is copied, first, so if that throws `old` is as it was.
    static Node* reshape(Node* old, bitmap_t datamap, bitmap_t nodemap,
                         Edit<const entry_type*> entry, Edit<Node*> child = {}) {
        static_assert(std::is_nothrow_move_constructible_v<entry_type>);
        const std::uint32_t count = old->count - (entry.remove != none) + (entry.insert != none);
        Node* n = allocate(datamap, nodemap, count);
        if (entry.insert != none) {
            try {
                ::new (n->entry_slot(entry.insert)) entry_type(*entry.insert_value);
            } catch (...) {
                deallocate(n);
                throw;
            }
        }
        for (unsigned dst = 0, src = 0; dst != count; ++dst) {
            if (dst != entry.insert) {
                src += (src == entry.remove);
                ::new (n->entry_slot(dst)) entry_type(std::move(old->entries()[src++]));
            }
        }
        fill_children(n, *old, child, /*retain=*/false);
        destroy_entries(old, old->count);
        deallocate(old);
        return n;
    }

    // A node holding just `entries`, in that order: an inner node with one bit in `datamap`
    // per entry (in slice order), or a collision node (both maps zero).
    static Node* make_leaf(bitmap_t datamap, std::initializer_list<const entry_type*> entries) {
        Node* n = allocate(datamap, 0, static_cast<std::uint32_t>(entries.size()));
        construct_entries(
            n, [&](unsigned dst, unsigned&) -> const entry_type& { return *entries.begin()[dst]; });
        return n;
    }

    // An inner node whose only content is `child` (an owned reference, adopted).
    static Node* make_one_child(bitmap_t nodemap, Node* child) {
        Node* n = allocate(0, nodemap, 0);
        n->children()[0] = child;
        return n;
    }

  private:
    std::byte* raw() noexcept { return reinterpret_cast<std::byte*>(this); }

    // Fills n's children from old's edited by `child`; kept children gain a reference when
    // `retain` (a copy) and change hands as they are otherwise (a move). Never throws.
    static void fill_children(Node* n, const Node& old, Edit<Node*> child, bool retain) noexcept {
        // children() may only be formed where child pointers exist.
        Node* const* from = old.nodemap != 0 ? old.children() : nullptr;
        for (unsigned dst = 0, src = 0, c = n->child_count(); dst != c; ++dst) {
            if (dst == child.insert) {
                n->children()[dst] = child.insert_value;
                continue;
            }
            src += (src == child.remove);
            if (retain) {
                from[src]->retain();
            }
            n->children()[dst] = from[src++];
        }
    }

    // Destroys the first `built` entries of n; entries() may only be formed where there are some.
    static void destroy_entries(Node* n, unsigned built) noexcept {
        if (built != 0) {
            std::destroy_n(n->entries(), built);
        }
    }

    // Storage for entry i before it is built (entries() may only see built entries).
    void* entry_slot(unsigned i) noexcept {
        return raw() + entries_offset() + i * sizeof(entry_type);
    }

    static Node* allocate(bitmap_t datamap, bitmap_t nodemap, std::uint32_t count) {
        byte_alloc alloc;
        std::byte* p = byte_traits::allocate(alloc, bytes(count, popcount(nodemap)));
        assert(reinterpret_cast<std::uintptr_t>(p) % __STDCPP_DEFAULT_NEW_ALIGNMENT__ == 0 &&
               "Alloc must align as operator new does");
        return ::new (static_cast<void*>(p)) Node{{1}, datamap, nodemap, count};
    }

    static void deallocate(Node* n) noexcept {
        const std::size_t size = n->bytes();
        n->~Node();
        byte_alloc alloc;
        byte_traits::deallocate(alloc, reinterpret_cast<std::byte*>(n), size);
    }

    // Copy-constructs n->count entries, the i-th from source(i, cursor). If a copy throws,
    // the entries built so far are destroyed and the node is freed before rethrowing.
    template <class Source>
    static void construct_entries(Node* n, Source source) {
        unsigned built = 0;
        unsigned cursor = 0;
        try {
            for (; built != n->count; ++built) {
                ::new (n->entry_slot(built)) entry_type(source(built, cursor));
            }
        } catch (...) {
            destroy_entries(n, built);
            deallocate(n);
            throw;
        }
    }
};

// Owns one reference to a node; the trie's algorithms hold new nodes in these until they are
// linked into a parent, so an exception anywhere releases what was built.
template <class NodeT>
class NodePtr {
  public:
    NodePtr() noexcept = default;
    explicit NodePtr(NodeT* owned) noexcept : node_(owned) {}
    NodePtr(NodePtr&& other) noexcept : node_(std::exchange(other.node_, nullptr)) {}
    NodePtr& operator=(NodePtr&& other) noexcept {
        NodePtr(std::move(other)).swap(*this);
        return *this;
    }
    ~NodePtr() { NodeT::release(node_); }

    NodeT* get() const noexcept { return node_; }
    NodeT* release() noexcept { return std::exchange(node_, nullptr); }
    explicit operator bool() const noexcept { return node_ != nullptr; }
    void swap(NodePtr& other) noexcept { std::swap(node_, other.node_); }

  private:
    NodeT* node_ = nullptr;
};

} // namespace ctxvar::detail::hamt
