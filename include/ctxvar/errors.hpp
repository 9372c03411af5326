// The errors of the context core. Each derives from the standard exception that matches it
// and carries CPython's wording, naming the variable, token or context involved.
#pragma once

#include <stdexcept>

namespace ctxvar {

// A variable has no value and no default (`ContextVar::get`), or a context has no value for it
// (`Context::at`). Python raises LookupError and KeyError; the message is the variable's
// representation: "<ContextVar name='request_id'>".
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

} // namespace ctxvar
