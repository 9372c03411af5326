// ctxvar::detail::ItemIterator: iteration over a trie that yields a view (an Item) of each entry,
// as Context and Local::Items iterate.
#pragma once

#include <cstddef>
#include <iterator>

namespace ctxvar::detail {

// Item is constructible from the trie's entry (it may make ItemIterator a friend for that).
// Never allocates; lives as the trie it walks.
template <class Item, class TrieIterator>
class ItemIterator {
  public:
    using value_type = Item;
    using reference = Item;
    using difference_type = std::ptrdiff_t;
    using iterator_category = std::input_iterator_tag;
    using iterator_concept = std::forward_iterator_tag;

    ItemIterator() = default;
    explicit ItemIterator(TrieIterator it) : it_(it) {}

    Item operator*() const { return Item(*it_); }
    ItemIterator& operator++() {
        ++it_;
        return *this;
    }
    ItemIterator operator++(int) {
        ItemIterator old = *this;
        ++it_;
        return old;
    }
    friend bool operator==(const ItemIterator&, const ItemIterator&) = default;

  private:
    TrieIterator it_;
};

} // namespace ctxvar::detail
