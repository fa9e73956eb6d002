// Operator commands of DESIGN §7 that talk to PostgreSQL with libpq. Each takes the arguments
// after `tombstone` (argv[0] is the command name) and returns the process exit code.
#pragma once

namespace tombstone::tools {

int check_command(int argc, char** argv);
int migrate_command(int argc, char** argv);
int purge_command(int argc, char** argv);
int restore_command(int argc, char** argv);
// Debugging aid and oracle driver: rewrites SQL the way a session would and prints the result.
int rewrite_command(int argc, char** argv);

}  // namespace tombstone::tools
