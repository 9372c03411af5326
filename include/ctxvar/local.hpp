// ctxvar::Local: Werkzeug's Local, a namespace of named values of any type whose contents
// depend on the current context, as if a ContextVar held a dict that is never mutated in place.
#pragma once

#include <ctxvar/context_var.hpp>
#include <ctxvar/detail/item_iterator.hpp>
#include <ctxvar/detail/local_values.hpp>
#include <ctxvar/local_proxy.hpp>

#include <algorithm>
#include <cstddef>
#include <iterator>
#include <string>
#include <string_view>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <vector>

namespace ctxvar {

// Named values per context. The names live in one ContextVar as a persistent map, so setting or
// erasing a name copies the path to it (O(log n)) and never changes storage another context
// can see: a context copied before a set keeps the values it had (Werkzeug copies its whole
// dict on every set instead).
//
// A Local is a handle, like ContextVar: copies name the same storage; any number of threads
// may use one at once, each reading and writing its own current context. set(), erase() and
// release() are const because they change the current context, not the handle.
//
// Values are immutable and stored by value as std::decay_t of what set() is given; a mutable
// object is stored by pointer (T*, std::shared_ptr<T>). A reference from get() lives as
// ContextVar::get()'s does: until the current context's snapshot changes (any set, erase or
// release in it, or of any variable) or the flow leaves the run() it was read in.
class Local {
  public:
    // `name` names the ContextVar that holds the values (visible when iterating a Context).
    explicit Local(std::string name = "ctxvar.Local") : storage_(std::move(name)) {}

    // Binds `name` to a std::decay_t<U> made from `value` in the current context, replacing
    // any value (of any type) it had. Allocates the value's box, the path and the new map's
    // box; if anything throws, the context is as it was.
    template <class U>
    void set(std::string_view name, U&& value) const {
        using T = std::decay_t<U>;
        store(name, detail::make_box<T>(std::forward<U>(value)), typeid(T));
    }
    // The same, constructing a T in place: for types that can be neither copied nor moved.
    template <class T, class... Args>
    requires std::constructible_from<T, Args&&...>
    void emplace(std::string_view name, Args&&... args) const {
        store(name, detail::make_box<T>(std::forward<Args>(args)...), typeid(T));
    }

    // The value named `name`. LookupError when there is none ("no value named 'user' in this
    // Local"); std::invalid_argument naming both types when it is not a T.
    template <class T>
    const T& get(std::string_view name) const {
        const detail::LocalEntry* entry = find(name);
        if (entry == nullptr) {
            detail::throw_missing_name(name);
        }
        if (const T* value = entry->get_if<std::remove_cv_t<T>>()) {
            return *value;
        }
        detail::throw_name_type(name, *entry->type, typeid(T));
    }
    // The value named `name` when there is one and it is a T; nullptr otherwise.
    template <class T>
    const T* get_if(std::string_view name) const noexcept {
        const detail::LocalEntry* entry = find(name);
        return entry != nullptr ? entry->get_if<std::remove_cv_t<T>>() : nullptr;
    }

    bool contains(std::string_view name) const noexcept { return find(name) != nullptr; }
    // The type `name`'s value was stored as, or nullptr when there is none.
    const std::type_info* type(std::string_view name) const noexcept {
        const detail::LocalEntry* entry = find(name);
        return entry != nullptr ? entry->type : nullptr;
    }
    std::size_t size() const noexcept { return values() != nullptr ? values()->size() : 0; }
    bool empty() const noexcept { return size() == 0; }

    // Removes `name` in the current context; LookupError when it has no value (Werkzeug's
    // AttributeError). Strong guarantee.
    void erase(std::string_view name) const {
        if (!contains(name)) {
            detail::throw_missing_name(name);
        }
        storage_.set(no_token, values()->erase(std::string(name)));
    }

    // Werkzeug's release_local: empties this Local in the current context (other contexts keep
    // theirs). Allocates nothing, and does nothing, when it is empty already; otherwise may
    // throw std::bad_alloc, leaving it as it was.
    void release() const {
        if (!empty()) {
            storage_.set(no_token, detail::LocalValues{});
        }
    }

    // The names that have values in the current context, sorted.
    std::vector<std::string> names() const {
        std::vector<std::string> result;
        if (const detail::LocalValues* values = this->values()) {
            result.reserve(values->size());
            for (const auto& entry : *values) {
                result.push_back(entry.first);
            }
        }
        std::sort(result.begin(), result.end());
        return result;
    }

    class Items;
    // The current contents as a range of Item (name, type, value), in an unspecified order. The
    // range holds its own O(1) snapshot, so a loop over it may set and erase names of this
    // Local: it goes on visiting the contents as they were when items() was called.
    Items items() const;

    // Werkzeug's `local("name")`: a proxy of the value named `name`, looked up on each use.
    template <class T>
    LocalProxy<T> proxy(std::string name,
                        std::string unbound_message = detail::default_unbound_message) const {
        return LocalProxy<T>(*this, std::move(name), std::move(unbound_message));
    }

    // Identity: whether both handles name the same storage.
    friend bool operator==(const Local& a, const Local& b) noexcept {
        return a.storage_ == b.storage_;
    }

  private:
    template <class T>
    friend class LocalProxy;

    const detail::LocalValues* values() const noexcept { return storage_.get_if(); }
    const detail::LocalEntry* find(std::string_view name) const noexcept {
        const detail::LocalValues* values = this->values();
        return values != nullptr ? values->find(name) : nullptr;
    }
    void store(std::string_view name, detail::ValueRef value, const std::type_info& type) const {
        detail::LocalEntry entry{std::move(value), &type};
        const detail::LocalValues* values = this->values();
        storage_.set(no_token, values != nullptr ? values->set(std::string(name), std::move(entry))
                                                 : detail::LocalValues{}.set(std::string(name),
                                                                             std::move(entry)));
    }

    ContextVar<detail::LocalValues> storage_;
};

// A snapshot of a Local's contents, iterable. Items and iterators stay valid while it lives.
class Local::Items {
  public:
    class Item {
      public:
        const std::string& name() const noexcept { return entry_->first; }
        const std::type_info& type() const noexcept { return *entry_->second.type; }
        template <class T>
        const T* get_if() const noexcept {
            return entry_->second.get_if<std::remove_cv_t<T>>();
        }
        // std::invalid_argument naming both types when the value is not a T.
        template <class T>
        const T& get() const {
            if (const T* value = get_if<T>()) {
                return *value;
            }
            detail::throw_name_type(name(), type(), typeid(T));
        }

      private:
        friend class detail::ItemIterator<Item, detail::LocalValues::const_iterator>;
        explicit Item(const std::pair<std::string, detail::LocalEntry>& entry) noexcept
            : entry_(&entry) {}
        const std::pair<std::string, detail::LocalEntry>* entry_;
    };

    using iterator = detail::ItemIterator<Item, detail::LocalValues::const_iterator>;

    iterator begin() const { return iterator(values_.begin()); }
    iterator end() const { return iterator(values_.end()); }
    std::size_t size() const noexcept { return values_.size(); }
    bool empty() const noexcept { return values_.empty(); }

  private:
    friend class Local;
    explicit Items(detail::LocalValues values) noexcept : values_(std::move(values)) {}
    detail::LocalValues values_;
};

inline Local::Items Local::items() const {
    const detail::LocalValues* values = this->values();
    return Items(values != nullptr ? *values : detail::LocalValues{});
}

} // namespace ctxvar
