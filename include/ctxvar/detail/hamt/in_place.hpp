// Updates of a trie that one owner holds alone: nodes no one else can reach are changed where
// they are (a value assigned, a node resized), and shared subtrees are path-copied as usual.
#pragma once

#include <ctxvar/detail/hamt/algorithms.hpp>

#include <type_traits>
#include <utility>

namespace ctxvar::detail::hamt {

// Whether entries of (K, V) can be updated in place without losing the strong guarantee:
// everything that may throw (allocating, copying the incoming entry) happens before the first
// change, and the changes themselves (moves, a move-assignment) cannot throw.
template <class K, class V>
inline constexpr bool in_place_updatable = std::is_nothrow_move_constructible_v<K>&&
    std::is_nothrow_move_constructible_v<V>&& std::is_nothrow_move_assignable_v<V>;

// Each function takes `slot`, a parent's (or the map's) pointer to a node that the caller owns
// alone, and updates it: the node may be changed or replaced by a resized one. If it throws,
// the slot and the whole trie below it are as they were.
template <class NodeT, class Hash, class Equal>
struct InPlace {
    using ops = Algorithms<NodeT, Hash, Equal>;
    using entry_type = typename NodeT::entry_type;
    using key_type = typename entry_type::first_type;
    using Ptr = NodePtr<NodeT>;
    static constexpr unsigned none = NodeT::none;

    static bool owned_alone(const NodeT* node) noexcept {
        return node->refs.load(std::memory_order_acquire) == 1;
    }

    // The entry for `key` when every node on the path to it is owned alone (so it may be changed
    // where it is without any other map seeing it); nullptr when a node on the way is shared or
    // the key is absent.
    template <class Q>
    static entry_type* find_owned(NodeT* node, hash_t hash, const Q& key, const Equal& equal) {
        for (unsigned depth = 0; node != nullptr && owned_alone(node); ++depth) {
            if (depth == max_depth) {
                const unsigned i = ops::collision_index(*node, key, equal);
                return i == none ? nullptr : &node->entries()[i];
            }
            const bitmap_t bit = bit_for(hash, depth);
            if (node->datamap & bit) {
                entry_type& e = node->entries()[index_of(node->datamap, bit)];
                return equal(e.first, key) ? &e : nullptr;
            }
            if (!(node->nodemap & bit)) {
                return nullptr;
            }
            node = node->children()[index_of(node->nodemap, bit)];
        }
        return nullptr;
    }

    // Binds entry.first to entry.second below `slot`; returns whether the key is new. An
    // assignment in place moves entry.second into the node; anything else copies `entry`.
    static bool insert(NodeT*& slot, unsigned depth, hash_t hash, entry_type& entry,
                       const Hash& hasher, const Equal& equal) {
        if (!owned_alone(slot)) { // shared from here down: copy the path
            typename ops::Inserted r = ops::insert(*slot, depth, hash, entry, hasher, equal);
            if (r.node) {
                NodeT::release(std::exchange(slot, r.node.release()));
            }
            return r.added;
        }
        NodeT& node = *slot;
        if (depth == max_depth) {
            const unsigned i = ops::collision_index(node, entry.first, equal);
            if (i != none) {
                assign(node.entries()[i], entry);
                return false;
            }
            slot = NodeT::reshape(slot, 0, 0, {none, node.count, &entry});
            return true;
        }
        const bitmap_t bit = bit_for(hash, depth);
        if (node.datamap & bit) {
            const unsigned i = index_of(node.datamap, bit);
            entry_type& stored = node.entries()[i];
            if (equal(stored.first, entry.first)) {
                assign(stored, entry);
                return false;
            }
            Ptr child =
                ops::merge(depth + 1, stored, ops::hash_of(hasher, stored.first), entry, hash);
            const bitmap_t nodemap = node.nodemap | bit;
            slot = NodeT::reshape(slot, node.datamap ^ bit, nodemap, {i, none, nullptr},
                                  {none, index_of(nodemap, bit), child.get()});
            child.release();
            return true;
        }
        if (node.nodemap & bit) {
            return insert(node.children()[index_of(node.nodemap, bit)], depth + 1, hash, entry,
                          hasher, equal);
        }
        const bitmap_t datamap = node.datamap | bit;
        slot = NodeT::reshape(slot, datamap, node.nodemap, {none, index_of(datamap, bit), &entry});
        return true;
    }

    // What erase did below a slot. `single`: the subtree would hold just this entry (it still
    // lives in the unchanged subtree); the parent stores it inline and releases the subtree.
    struct Erased {
        bool found = false;
        const entry_type* single = nullptr;
    };

    // Removes `key` below `slot`. At the root, a trie left empty sets the slot to nullptr.
    static Erased erase(NodeT*& slot, unsigned depth, hash_t hash, const key_type& key,
                        const Equal& equal) {
        if (!owned_alone(slot)) {
            typename ops::Erased r = ops::erase(*slot, depth, hash, key, equal);
            if (r.found && r.single == nullptr) {
                NodeT::release(std::exchange(slot, r.node.release()));
            }
            return {r.found, r.single};
        }
        NodeT& node = *slot;
        if (const auto at = ops::stored_inline(node, depth, hash, key, equal); at.index != none) {
            switch (ops::erasing_leaves(node, depth)) {
            case ops::Leaves::other_entry:
                return {true, &node.entries()[1 - at.index]};
            case ops::Leaves::nothing:
                NodeT::release(std::exchange(slot, nullptr));
                return {true};
            case ops::Leaves::smaller_node:
                break;
            }
            slot = NodeT::reshape(slot, node.datamap ^ at.bit, node.nodemap,
                                  {at.index, none, nullptr});
            return {true};
        }
        const bitmap_t bit = depth == max_depth ? 0 : bit_for(hash, depth);
        if (!(node.nodemap & bit)) {
            return {};
        }
        const unsigned j = index_of(node.nodemap, bit);
        NodeT*& child = node.children()[j];
        const Erased below = erase(child, depth + 1, hash, key, equal);
        if (below.single == nullptr) {
            return below;
        }
        if (depth > 0 && node.count == 0 && node.child_count() == 1) {
            return below; // this node would hold one entry too: collapse further up
        }
        NodeT* collapsed = child;
        const bitmap_t datamap = node.datamap | bit;
        slot = NodeT::reshape(slot, datamap, node.nodemap ^ bit,
                              {none, index_of(datamap, bit), below.single}, {j, none, nullptr});
        NodeT::release(collapsed);
        return {true};
    }

  private:
    // Moves entry.second over stored.second unless they are equal; cannot throw past the
    // comparison (in_place_updatable).
    static void assign(entry_type& stored, entry_type& entry) {
        if (!same_value(stored.second, entry.second)) {
            stored.second = std::move(entry.second);
        }
    }
};

} // namespace ctxvar::detail::hamt
