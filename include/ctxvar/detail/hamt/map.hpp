// ctxvar::detail::hamt::Map: an immutable hash map (a CHAMP hash array mapped trie). Every
// update returns a new map that shares all untouched nodes with the old one.
#pragma once

#include <ctxvar/detail/hamt/algorithms.hpp>
#include <ctxvar/detail/hamt/in_place.hpp>
#include <ctxvar/detail/hamt/iterator.hpp>

#include <concepts>
#include <cstddef>
#include <functional>
#include <memory>
#include <stdexcept>
#include <utility>

namespace ctxvar::detail::hamt {

// A persistent map from K to V. Copies are O(1) and share the whole trie; `set` and `erase`
// copy the path to one key (at most max_depth + 1 nodes) and leave every other map as it was.
//
// Thread safety: a Map object is a value like any other (do not write one while another thread
// reads that same object), but any number of threads may use maps that share nodes, and nodes
// are freed when the last map that reaches them goes (atomic reference counts).
//
// Requirements: Hash returns std::size_t (folded to 32 bits: a hash below 2^32 is used as is);
// keys that are Equal hash alike. Hash, Equal and Alloc are stateless (default-constructed
// where needed); Alloc allocates bytes aligned as operator new aligns them. Where V has ==,
// values that compare equal must be interchangeable: setting a key to a value == the stored
// one keeps the stored one (so -0.0 over 0.0 keeps 0.0). Hash, Equal and the copy of K and V
// may throw: an operation that throws leaves every map as it was and leaks nothing.
//
// Lifetime: pointers, references and iterators into a map stay valid while some map that
// shares its root lives and has not been given up to an rvalue set/erase (which may change
// nodes that it alone holds).
template <class K, class V, class Hash = std::hash<K>, class Equal = std::equal_to<K>,
          class Alloc = std::allocator<std::byte>>
class Map {
    using node_type = Node<K, V, Alloc>;
    using ops = Algorithms<node_type, Hash, Equal>;
    using in_place = InPlace<node_type, Hash, Equal>;
    static constexpr bool transparent = requires {
        typename Hash::is_transparent;
        typename Equal::is_transparent;
    };

  public:
    using key_type = K;
    using mapped_type = V;
    using value_type = std::pair<K, V>;
    using size_type = std::size_t;
    using hasher = Hash;
    using key_equal = Equal;
    using const_iterator = Iterator<node_type>;
    using iterator = const_iterator;

    // The empty map. Allocates nothing.
    Map() noexcept = default;

    // O(1): shares the trie. Never throws.
    Map(const Map& other) noexcept : root_(other.root_), size_(other.size_) {
        if (root_ != nullptr) {
            root_->retain();
        }
    }
    Map(Map&& other) noexcept
        : root_(std::exchange(other.root_, nullptr)), size_(std::exchange(other.size_, 0)) {}
    Map& operator=(const Map& other) noexcept {
        Map(other).swap(*this);
        return *this;
    }
    Map& operator=(Map&& other) noexcept {
        Map(std::move(other)).swap(*this);
        return *this;
    }
    ~Map() { node_type::release(root_); }

    void swap(Map& other) noexcept {
        std::swap(root_, other.root_);
        std::swap(size_, other.size_);
    }

    // Number of entries, O(1).
    size_type size() const noexcept { return size_; }
    bool empty() const noexcept { return size_ == 0; }

    // The value stored for `key`, or nullptr. O(log32 n); never allocates. The pointer's
    // lifetime is the map's (see Lifetime above).
    const V* find(const K& key) const {
        const value_type* e = find_entry(key);
        return e != nullptr ? &e->second : nullptr;
    }
    bool contains(const K& key) const { return find_entry(key) != nullptr; }

    // The stored (key, value) pair for `key`, or nullptr; it lives as find()'s pointer does.
    // Q is K, or (with transparent Hash and Equal, below) any key type they accept.
    template <class Q>
    requires(std::same_as<Q, K> || transparent) const value_type* find_entry(const Q& key) const {
        if (root_ == nullptr) {
            return nullptr;
        }
        return ops::find(root_, ops::hash_of(Hash{}, key), key, Equal{});
    }

    // Heterogeneous lookup, as in std::unordered_map: when Hash and Equal both declare
    // `is_transparent`, any `key` they accept beside K works, and no K is built for it.
    template <class Q>
    requires(!std::same_as<Q, K> && transparent) const V* find(const Q& key) const {
        const value_type* e = find_entry(key);
        return e != nullptr ? &e->second : nullptr;
    }
    template <class Q>
    requires(!std::same_as<Q, K> && transparent) bool contains(const Q& key) const {
        return find_entry(key) != nullptr;
    }

    // The value stored for `key`; throws std::out_of_range when there is none.
    const V& at(const K& key) const {
        if (const V* v = find(key)) {
            return *v;
        }
        throw std::out_of_range("ctxvar::detail::hamt::Map::at: key not found");
    }

    // This map with `key` bound to `value` (inserted or assigned). Allocates at most
    // max_depth + 1 nodes. If `key` already holds a value == `value`, returns a map sharing
    // this one's root, without allocating. Strong guarantee: on a throw nothing changed.
    [[nodiscard]] Map set(K key, V value) const& {
        const value_type entry(std::move(key), std::move(value));
        const hash_t hash = ops::hash_of(Hash{}, entry.first);
        if (root_ == nullptr) {
            return Map(node_type::make_leaf(bit_for(hash, 0), {&entry}), 1);
        }
        typename ops::Inserted r = ops::insert(*root_, 0, hash, entry, Hash{}, Equal{});
        if (!r.node) {
            return *this;
        }
        return Map(r.node.release(), size_ + r.added);
    }

    // This map without `key`. Erasing a key that is not there returns a map sharing this
    // one's root, without allocating. Strong guarantee.
    [[nodiscard]] Map erase(const K& key) const& {
        if (root_ == nullptr) {
            return *this;
        }
        const hash_t hash = ops::hash_of(Hash{}, key);
        typename ops::Erased r = ops::erase(*root_, 0, hash, key, Equal{});
        if (!r.found) {
            return *this;
        }
        return Map(r.node.release(), size_ - 1);
    }

    // The same results from a map given up by its owner (`std::move(m).set(k, v)`): nodes that
    // no other map shares are changed where they are instead of copied: on an unshared map an
    // assignment moves the value in and allocates nothing, and an insert or erase allocates
    // only the nodes that change size (and copies the new entry). Shared subtrees are copied as by
    // the const overloads, and other maps never see a change. On success *this is left empty;
    // if it throws, *this is as it was (strong guarantee). Pointers and iterators into *this
    // are invalidated. (Types whose moves may throw get the const overloads' behaviour.)
    [[nodiscard]] Map set(K key, V value) && {
        if constexpr (!in_place_updatable<K, V>) {
            return given_up(std::as_const(*this).set(std::move(key), std::move(value)));
        } else {
            if (root_ == nullptr) {
                return std::as_const(*this).set(std::move(key), std::move(value));
            }
            value_type entry(std::move(key), std::move(value));
            const hash_t hash = ops::hash_of(Hash{}, entry.first);
            size_ += in_place::insert(root_, 0, hash, entry, Hash{}, Equal{});
            return std::move(*this);
        }
    }
    [[nodiscard]] Map erase(const K& key) && {
        if constexpr (!in_place_updatable<K, V>) {
            return given_up(std::as_const(*this).erase(key));
        } else {
            if (root_ == nullptr) {
                return Map();
            }
            const hash_t hash = ops::hash_of(Hash{}, key);
            size_ -= in_place::erase(root_, 0, hash, key, Equal{}).found;
            return std::move(*this);
        }
    }

    // The value stored for `key`, for changing where it is, when this map alone reaches every
    // node on the path to it (no copy of the map or of any of those nodes exists); nullptr when
    // one is shared or the key is absent. An assignment through the pointer changes this map
    // only, allocates nothing and copies no node: the cheapest update there is. (Assigning a
    // value == the old one is fine; anything the old value owned is the caller's to keep or
    // drop.) The pointer lives until the next update of this map; with transparent Hash and
    // Equal, Q may be any key type they accept.
    template <class Q>
    requires(std::same_as<Q, K> || transparent) V* find_owned(const Q& key) & {
        if (root_ == nullptr) {
            return nullptr;
        }
        value_type* e = in_place::find_owned(root_, ops::hash_of(Hash{}, key), key, Equal{});
        return e != nullptr ? &e->second : nullptr;
    }

    // Iteration visits each entry once, in an order fixed by the keys' hashes; it never
    // allocates. Iterators live as pointers from find() do (see Lifetime above).
    const_iterator begin() const noexcept { return const_iterator(root_); }
    const_iterator end() const noexcept { return const_iterator(); }

    // Whether both maps share one root: equal without looking at any entry.
    bool identical(const Map& other) const noexcept { return root_ == other.root_; }

    // Same keys with == values. Maps of different sizes are unequal and maps sharing a root
    // equal, both at once; otherwise shared subtrees are skipped and the rest compared.
    friend bool operator==(const Map& a, const Map& b) requires std::equality_comparable<V> {
        return a.equal_to(b, std::equal_to<V>{});
    }

    // The same comparison with values compared by `value_equal(const V&, const V&)`, for
    // values whose own == does not say what "equal contents" means (boxed values, say).
    template <class ValueEqual>
    bool equal_to(const Map& other, const ValueEqual& value_equal) const {
        if (size_ != other.size_) {
            return false;
        }
        return root_ == other.root_ ||
               ops::equal_trees(root_, other.root_, 0, Equal{}, value_equal);
    }

    // Calls visit(depth, datamap, nodemap, entries, bytes) for every node, parents before
    // children, in iteration order: the trie's shape, for tests of its canonical layout and for
    // measuring memory. A collision node (depth == max_depth) has both maps zero.
    template <class Visitor>
    void visit_nodes(Visitor&& visit) const {
        visit_subtree(root_, 0, visit);
    }

  private:
    // Empties *this, as the rvalue overloads promise, and passes `result` on.
    Map given_up(Map result) noexcept {
        Map().swap(*this);
        return result;
    }

    template <class Visitor>
    static void visit_subtree(const node_type* node, unsigned depth, Visitor& visit) {
        if (node == nullptr) {
            return;
        }
        visit(depth, node->datamap, node->nodemap, node->count, node->bytes());
        for (unsigned j = 0, c = node->child_count(); j != c; ++j) {
            visit_subtree(node->children()[j], depth + 1, visit);
        }
    }

    Map(node_type* root, size_type size) noexcept : root_(root), size_(size) {}

    node_type* root_ = nullptr;
    size_type size_ = 0;
};

} // namespace ctxvar::detail::hamt
