// A request being served, as every runtime drives it: construct the view (the request scope is
// entered and the view runs up to its child), run child_job() in a child fiber or task after a
// yield and child_delay_ms() of sleep, give finish() what the child returned; the destructor
// leaves the request scope. A runtime is written once against this shape and instantiated with
// ContextView (ctxvar) and ExplicitView (--explicit: the baseline).
#pragma once

#include "app.hpp"
#include "http.hpp"
#include "stats.hpp"

#include <ctxvar/context_var.hpp>

#include <string>

namespace server {

// The view through ctxvar: what Flask's wsgi_app does around a view (set the request id, push
// the request, clean up with the LocalManager after), then hello_begin / hello_child /
// hello_end, which take no parameters.
class ContextView {
  public:
    static constexpr bool through_context = true;

    explicit ContextView(Request& incoming) : scope_(incoming) { hello_begin(); }

    int child_delay_ms() const { return server::child_delay_ms(*request); }
    // The child needs nothing passed: it runs in a copy of this request's context.
    static auto child_job() {
        return [] { return hello_child(); };
    }
    Response finish(const std::string& child_saw) const { return hello_end(child_saw); }

  private:
    // The request id set and the request pushed; at the end the LocalManager empties `g` and
    // the request stack, and the id goes back to what it was (every context's "-").
    class Scope {
      public:
        explicit Scope(Request& incoming) : token_(request_id.set(RequestId(id_for(incoming)))) {
            try {
                request_stack.push(&incoming);
            } catch (...) {
                request_id.reset(token_);
                throw;
            }
        }
        Scope(const Scope&) = delete;
        Scope& operator=(const Scope&) = delete;
        // Never throws: a failure (out of memory) is logged, and the connection's next
        // request would show it (its counter would not start from 0).
        ~Scope() {
            try {
                locals.cleanup();
            } catch (const std::exception& e) {
                log(std::string("cleanup failed: ") + e.what());
            }
            try {
                request_id.reset(token_);
            } catch (const std::exception& e) {
                log(std::string("reset failed: ") + e.what());
            }
        }

      private:
        ctxvar::Token<RequestId> token_;
    };

    InFlight in_flight_;
    Scope scope_;
};

// The same view with the request, its id and its scratch values passed down by hand.
class ExplicitView {
  public:
    static constexpr bool through_context = false;

    explicit ExplicitView(Request& incoming) : request_(incoming), id_(id_for(incoming)) {
        hello_begin(request_, scratch_, id_);
    }

    int child_delay_ms() const { return server::child_delay_ms(request_); }
    auto child_job() const {
        return [id = id_] { return hello_child(id); };
    }
    Response finish(const std::string& child_saw) {
        return hello_end(request_, scratch_, id_, child_saw);
    }

  private:
    InFlight in_flight_;
    const Request& request_;
    std::string id_;
    Scratch scratch_;
};

} // namespace server
