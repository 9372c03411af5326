// Memory for context objects, recycled per thread: copy_context() is judged against one
// std::shared_ptr copy, and a malloc/free pair alone costs more than that here.
#pragma once

#include <cstddef>

namespace ctxvar::detail {

// Storage for one ContextData: from this thread's pool, else operator new (may throw).
void* allocate_context_memory();
// Returns storage to this thread's pool, or to operator delete when the pool is full.
void free_context_memory(void* memory) noexcept;
// Frees the pool's storage: at thread exit, after the thread's context is released.
void drain_context_pool() noexcept;

} // namespace ctxvar::detail
