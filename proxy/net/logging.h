// spdlog set-up for `tombstone serve`: one logger on stderr, text or JSON lines (log.format), at
// log.level. JSON lines are {"time","level","msg"} with the message escaped, for log shippers.
#pragma once

#include <string>

#include "config/config.h"

namespace tombstone::net {

// Installs the default logger; returns an error text for an unknown level.
std::string configure_logging(const config::LogConfig& log);

}  // namespace tombstone::net
