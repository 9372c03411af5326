// The doctest runner: the one translation unit that defines main() for ctxvar_tests.
// Every other test file only includes <doctest/doctest.h> and adds TEST_CASEs.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
