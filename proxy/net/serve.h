// `tombstone serve`: load the config, listen, proxy until SIGTERM has drained.
#pragma once

namespace tombstone::net {

int serve_command(int argc, char** argv);

}  // namespace tombstone::net
