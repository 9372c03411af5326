// The errors of ctxvar. Each derives from the standard exception that matches it and carries
// CPython's (or Werkzeug's) wording, naming the variable, token, context or name involved.
#pragma once

#include <stdexcept>

namespace ctxvar {

// A variable has no value and no default (`ContextVar::get`), or a context has no value for it
// (`Context::at`). Python raises LookupError and KeyError; the message is the variable's
// representation: "<ContextVar name='request_id'>". Also a `Local` without the name asked for
// (Werkzeug's AttributeError): "no value named 'user' in this Local".
class LookupError : public std::out_of_range {
  public:
    using std::out_of_range::out_of_range;
};

// `reset` of a token that has already reset its variable:
// "<Token used var=<ContextVar name='x'>> has already been used once".
class TokenReusedError : public std::logic_error {
  public:
    using std::logic_error::logic_error;
};

// `reset` of a token made by another variable ("... was created by a different ContextVar") or
// in another context object ("... was created in a different Context").
class TokenMismatchError : public std::invalid_argument {
  public:
    using std::invalid_argument::invalid_argument;
};

// `Context::run` (or a flow started in a given context) while that context object is entered
// anywhere: "cannot enter context: <Context object at 0x...> is already entered".
class ContextEnteredError : public std::logic_error {
  public:
    using std::logic_error::logic_error;
};

// A LocalProxy used while nothing is bound to it: the Local has no such name, the stack is
// empty, the variable has no value, or the callable returned nullptr. Werkzeug raises
// RuntimeError; the message is the proxy's unbound message ("object is not bound" unless the
// proxy was given another, such as Flask's "Working outside of request context.").
class UnboundError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

} // namespace ctxvar
