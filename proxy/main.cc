// tombstone: argument dispatch to the subcommands of DESIGN §7, nothing else.
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>

#include "proxy/net/serve.h"
#include "tools/commands.h"

namespace {

struct Command {
  std::string_view name;
  int (*run)(int argc, char** argv);  // argv[0] is the subcommand name
  std::string_view summary;
};

constexpr Command kCommands[] = {
    {"serve", tombstone::net::serve_command, "run the proxy (default)"},
    {"check", tombstone::tools::check_command, "validate the config against the live schema"},
    {"migrate", tombstone::tools::migrate_command, "print (or --apply) the DDL the config needs"},
    {"purge", tombstone::tools::purge_command, "hard-delete rows older than their retention"},
    {"restore", tombstone::tools::restore_command, "restore soft-deleted or archived rows"},
    {"rewrite", tombstone::tools::rewrite_command, "show how a statement would be rewritten"},
};

void print_help() {
  std::printf(
      "tombstone %s - a PostgreSQL proxy that makes DELETE recoverable\n\n"
      "usage: tombstone [COMMAND] [--config FILE] [options]\n\ncommands:\n",
      TOMBSTONE_VERSION);
  for (const auto& c : kCommands) {
    std::printf("  %-9s %s\n", std::string(c.name).c_str(), std::string(c.summary).c_str());
  }
  std::printf("\n'tombstone COMMAND --help' describes a command's options.\n");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 2 && (std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0 ||
                    std::strcmp(argv[1], "help") == 0)) {
    print_help();
    return 0;
  }
  if (argc >= 2 && (std::strcmp(argv[1], "--version") == 0 || std::strcmp(argv[1], "-V") == 0)) {
    std::printf("tombstone %s\n", TOMBSTONE_VERSION);
    return 0;
  }
  if (argc < 2 || argv[1][0] == '-') {
    // No subcommand: `tombstone --config F` means `tombstone serve --config F`.
    static char serve_name[] = "serve";
    argv[0] = serve_name;
    return tombstone::net::serve_command(argc, argv);
  }
  for (const auto& c : kCommands) {
    if (c.name == argv[1]) return c.run(argc - 1, argv + 1);
  }
  std::fprintf(stderr, "tombstone: unknown command '%s' (try 'tombstone --help')\n", argv[1]);
  return 2;
}
