// The trie's algorithms over nodes: lookup, insert-or-assign, erase and structural equality.
// Each update path-copies from the root and returns a new root; no existing node changes.
#pragma once

#include <ctxvar/detail/hamt/node.hpp>

#include <concepts>

namespace ctxvar::detail::hamt {

// Whether storing `incoming` over `stored` may keep the old node: the values compare equal,
// so the map's contents would not change. Types without == are always replaced.
template <class V>
bool same_value(const V& stored, const V& incoming) {
    if constexpr (std::equality_comparable<V>) {
        return stored == incoming;
    } else {
        return false;
    }
}

template <class NodeT, class Hash, class Equal>
struct Algorithms {
    using entry_type = typename NodeT::entry_type;
    using key_type = typename entry_type::first_type;
    using Ptr = NodePtr<NodeT>;
    using EntryEdit = typename NodeT::template Edit<const entry_type*>;
    using ChildEdit = typename NodeT::template Edit<NodeT*>;
    static constexpr unsigned none = NodeT::none;

    // Q is key_type, or any type that Hash and Equal accept beside it (heterogeneous lookup).
    template <class Q>
    static hash_t hash_of(const Hash& hash, const Q& key) {
        return fold_hash(hash(key));
    }

    // The entry for `key`, or nullptr. Reads only; any number of threads may call it at once.
    template <class Q>
    static const entry_type* find(const NodeT* node, hash_t hash, const Q& key,
                                  const Equal& equal) {
        for (unsigned depth = 0; node != nullptr; ++depth) {
            if (depth == max_depth) {
                return find_collision(*node, key, equal);
            }
            const bitmap_t bit = bit_for(hash, depth);
            if (node->datamap & bit) {
                const entry_type& e = node->entries()[index_of(node->datamap, bit)];
                return equal(e.first, key) ? &e : nullptr;
            }
            if (!(node->nodemap & bit)) {
                return nullptr;
            }
            node = node->children()[index_of(node->nodemap, bit)];
        }
        return nullptr;
    }

    // --- insert-or-assign --------------------------------------------------------------------

    struct Inserted {
        Ptr node;           // empty: nothing changed, keep the old node
        bool added = false; // a new key (not an assignment)
    };

    static Inserted insert(const NodeT& node, unsigned depth, hash_t hash, const entry_type& entry,
                           const Hash& hasher, const Equal& equal) {
        if (depth == max_depth) {
            return insert_collision(node, entry, equal);
        }
        const bitmap_t bit = bit_for(hash, depth);
        if (node.datamap & bit) {
            const unsigned i = index_of(node.datamap, bit);
            const entry_type& stored = node.entries()[i];
            if (equal(stored.first, entry.first)) {
                if (same_value(stored.second, entry.second)) {
                    return {};
                }
                return {Ptr(NodeT::rebuild(node, node.datamap, node.nodemap, {i, i, &entry})),
                        false};
            }
            // Two keys now share this slice: both move down into a new sub-node.
            Ptr child = merge(depth + 1, stored, hash_of(hasher, stored.first), entry, hash);
            const bitmap_t nodemap = node.nodemap | bit;
            const unsigned j = index_of(nodemap, bit);
            Ptr n(NodeT::rebuild(node, node.datamap ^ bit, nodemap, {i, none, nullptr},
                                 {none, j, child.get()}));
            child.release();
            return {std::move(n), true};
        }
        if (node.nodemap & bit) {
            const unsigned j = index_of(node.nodemap, bit);
            Inserted below = insert(*node.children()[j], depth + 1, hash, entry, hasher, equal);
            if (!below.node) {
                return {};
            }
            Ptr n(NodeT::rebuild(node, node.datamap, node.nodemap, {}, {j, j, below.node.get()}));
            below.node.release();
            return {std::move(n), below.added};
        }
        const bitmap_t datamap = node.datamap | bit;
        return {Ptr(NodeT::rebuild(node, datamap, node.nodemap,
                                   {none, index_of(datamap, bit), &entry})),
                true};
    }

    // The smallest subtree at `depth` holding two entries with different keys.
    static Ptr merge(unsigned depth, const entry_type& a, hash_t ha, const entry_type& b,
                     hash_t hb) {
        if (depth == max_depth) {
            return Ptr(NodeT::make_leaf(0, {&a, &b}));
        }
        const unsigned sa = slice(ha, depth);
        const unsigned sb = slice(hb, depth);
        if (sa == sb) {
            Ptr child = merge(depth + 1, a, ha, b, hb);
            Ptr n(NodeT::make_one_child(bitmap_t{1} << sa, child.get()));
            child.release();
            return n;
        }
        const bitmap_t datamap = (bitmap_t{1} << sa) | (bitmap_t{1} << sb);
        return Ptr(sa < sb ? NodeT::make_leaf(datamap, {&a, &b})
                           : NodeT::make_leaf(datamap, {&b, &a}));
    }

    // --- erase -------------------------------------------------------------------------------

    // Where `key` is stored as an entry of `node` itself: its index and the datamap bit it
    // holds (0 in a collision node). Index `none` when it is not (it may be in a sub-node).
    struct Stored {
        unsigned index = none;
        bitmap_t bit = 0;
    };
    static Stored stored_inline(const NodeT& node, unsigned depth, hash_t hash, const key_type& key,
                                const Equal& equal) {
        if (depth == max_depth) {
            return {collision_index(node, key, equal), 0};
        }
        const bitmap_t bit = bit_for(hash, depth);
        if (!(node.datamap & bit)) {
            return {};
        }
        const unsigned i = index_of(node.datamap, bit);
        return equal(node.entries()[i].first, key) ? Stored{i, bit} : Stored{};
    }

    // What erasing one of `node`'s own entries leaves at `depth`. A sub-node always holds two
    // entries or more, so one left alone moves up into its parent: that keeps the trie canonical.
    enum class Leaves { other_entry, nothing, smaller_node };
    static Leaves erasing_leaves(const NodeT& node, unsigned depth) noexcept {
        if (node.nodemap == 0 && node.count == 2 && depth > 0) {
            return Leaves::other_entry;
        }
        if (node.nodemap == 0 && node.count == 1) {
            assert(depth == 0);     // a sub-node never holds a single entry
            return Leaves::nothing; // the root's last entry
        }
        return Leaves::smaller_node;
    }

    struct Erased {
        bool found = false;
        Ptr node; // the new node; empty with `found` and no `single`: the subtree is now empty
        // The subtree now holds just this entry (it lives in the old subtree): the parent
        // stores it inline, which keeps the trie canonical. Never set at the root.
        const entry_type* single = nullptr;
    };

    static Erased erase(const NodeT& node, unsigned depth, hash_t hash, const key_type& key,
                        const Equal& equal) {
        if (const Stored at = stored_inline(node, depth, hash, key, equal); at.index != none) {
            switch (erasing_leaves(node, depth)) {
            case Leaves::other_entry:
                return {true, {}, &node.entries()[1 - at.index]};
            case Leaves::nothing:
                return {true, {}, nullptr};
            case Leaves::smaller_node:
                break;
            }
            return {true, Ptr(NodeT::rebuild(node, node.datamap ^ at.bit, node.nodemap,
                                             {at.index, none, nullptr}))};
        }
        const bitmap_t bit = depth == max_depth ? 0 : bit_for(hash, depth);
        if (!(node.nodemap & bit)) {
            return {};
        }
        const unsigned j = index_of(node.nodemap, bit);
        Erased below = erase(*node.children()[j], depth + 1, hash, key, equal);
        if (!below.found) {
            return {};
        }
        if (below.single == nullptr) {
            Ptr n(NodeT::rebuild(node, node.datamap, node.nodemap, {}, {j, j, below.node.get()}));
            below.node.release();
            return {true, std::move(n)};
        }
        if (depth > 0 && node.count == 0 && node.child_count() == 1) {
            return below; // this node would hold one entry too: collapse further up
        }
        const bitmap_t datamap = node.datamap | bit;
        return {true, Ptr(NodeT::rebuild(node, datamap, node.nodemap ^ bit,
                                         {none, index_of(datamap, bit), below.single},
                                         {j, none, nullptr}))};
    }

    // --- equality ----------------------------------------------------------------------------

    // Whether two subtrees at `depth` hold the same keys with values that `value_equal` finds
    // equal. The layout is canonical (it depends only on the keys' hashes), so the shapes must
    // match; shared subtrees compare equal without being visited.
    template <class ValueEqual>
    static bool equal_trees(const NodeT* a, const NodeT* b, unsigned depth, const Equal& equal,
                            const ValueEqual& value_equal) {
        if (a == b) {
            return true;
        }
        if (a->count != b->count || a->datamap != b->datamap || a->nodemap != b->nodemap) {
            return false;
        }
        if (depth == max_depth) {
            for (unsigned i = 0; i != a->count; ++i) {
                const entry_type& e = a->entries()[i];
                const entry_type* other = find_collision(*b, e.first, equal);
                if (other == nullptr || !value_equal(other->second, e.second)) {
                    return false;
                }
            }
            return true;
        }
        for (unsigned i = 0; i != a->count; ++i) {
            const entry_type& x = a->entries()[i];
            const entry_type& y = b->entries()[i];
            if (!equal(x.first, y.first) || !value_equal(x.second, y.second)) {
                return false;
            }
        }
        for (unsigned j = 0, c = a->child_count(); j != c; ++j) {
            if (!equal_trees(a->children()[j], b->children()[j], depth + 1, equal, value_equal)) {
                return false;
            }
        }
        return true;
    }

    // Index of `key` in a collision node, or `none`.
    template <class Q>
    static unsigned collision_index(const NodeT& node, const Q& key, const Equal& equal) {
        for (unsigned i = 0; i != node.count; ++i) {
            if (equal(node.entries()[i].first, key)) {
                return i;
            }
        }
        return none;
    }

  private:
    template <class Q>
    static const entry_type* find_collision(const NodeT& node, const Q& key, const Equal& equal) {
        const unsigned i = collision_index(node, key, equal);
        return i == none ? nullptr : &node.entries()[i];
    }

    static Inserted insert_collision(const NodeT& node, const entry_type& entry,
                                     const Equal& equal) {
        const unsigned i = collision_index(node, entry.first, equal);
        if (i == none) {
            return {Ptr(NodeT::rebuild(node, 0, 0, {none, node.count, &entry})), true};
        }
        if (same_value(node.entries()[i].second, entry.second)) {
            return {};
        }
        return {Ptr(NodeT::rebuild(node, 0, 0, {i, i, &entry})), false};
    }
};

} // namespace ctxvar::detail::hamt
