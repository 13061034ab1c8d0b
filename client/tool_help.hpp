// --help and --version texts.
#pragma once

#include <string>

namespace bgclient {

inline constexpr const char *bgclient_version = "0.1.0";

// The full --help text (every option and exit code).
const char *help_text();

// "usage: ..." one line, and the hint printed after a usage error.
const char *usage_line();

}  // namespace bgclient
