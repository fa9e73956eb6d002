#include "tools/cli.h"

#include <charconv>

#include "config/loader.h"

namespace tombstone::tools {

std::optional<std::string> Args::get(std::string_view name) const {
  auto it = values.find(name);
  if (it == values.end()) return std::nullopt;
  return it->second;
}

std::expected<Args, std::string> parse_args(const CommandSpec& spec, int argc, char** argv) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      args.help = true;
      continue;
    }
    if (!arg.starts_with("--"))
      return std::unexpected("unexpected argument '" + std::string(arg) + "'");
    arg.remove_prefix(2);
    std::optional<std::string> inline_value;
    if (auto eq = arg.find('='); eq != std::string_view::npos) {
      inline_value = std::string(arg.substr(eq + 1));
      arg = arg.substr(0, eq);
    }
    const OptionSpec* opt = nullptr;
    for (const auto& o : spec.options) {
      if (o.name == arg) opt = &o;
    }
    if (!opt) return std::unexpected("unknown option '--" + std::string(arg) + "'");
    if (opt->value_name.empty()) {
      if (inline_value)
        return std::unexpected("option '--" + std::string(arg) + "' takes no value");
      args.values[std::string(arg)] = "";
    } else if (inline_value) {
      args.values[std::string(arg)] = *inline_value;
    } else {
      if (i + 1 >= argc)
        return std::unexpected("option '--" + std::string(arg) + "' needs a value");
      args.values[std::string(arg)] = argv[++i];
    }
  }
  return args;
}

void print_usage(const CommandSpec& spec, std::FILE* out) {
  std::fprintf(out, "usage: tombstone %.*s [options]\n\n%.*s\n\noptions:\n", int(spec.name.size()),
               spec.name.data(), int(spec.summary.size()), spec.summary.data());
  for (const auto& o : spec.options) {
    std::string left = "--" + std::string(o.name);
    if (!o.value_name.empty()) {
      left += ' ';
      left += o.value_name;
    }
    std::fprintf(out, "  %-24s %.*s\n", left.c_str(), int(o.help.size()), o.help.data());
  }
  std::fprintf(out, "  %-24s %s\n", "--help", "show this text");
  std::fprintf(out, "\nexit status: 0 success, 1 findings or errors, 2 usage error\n");
}

OptionSpec config_option() { return {"config", "FILE", "tombstone.yaml to use (required)"}; }

OptionSpec dsn_option() {
  return {"dsn", "DSN",
          "libpq connection string of the database itself, not of the proxy (default: PG* "
          "environment variables)"};
}

std::expected<Context, int> start_command(const CommandSpec& spec, int argc, char** argv,
                                          bool needs_connection) {
  Context ctx;
  auto args = parse_args(spec, argc, argv);
  if (!args) {
    std::fprintf(stderr, "tombstone %.*s: %s\n\n", int(spec.name.size()), spec.name.data(),
                 args.error().c_str());
    print_usage(spec, stderr);
    return std::unexpected(kExitUsage);
  }
  if (args->help) {
    print_usage(spec, stdout);
    return std::unexpected(kExitOk);
  }
  auto path = args->get("config");
  if (!path) {
    std::fprintf(stderr, "tombstone %.*s: --config FILE is required\n\n", int(spec.name.size()),
                 spec.name.data());
    print_usage(spec, stderr);
    return std::unexpected(kExitUsage);
  }
  auto config = config::load_config_file(*path);
  if (!config) {
    std::fprintf(stderr, "%s\n", config.error().c_str());
    return std::unexpected(kExitFailure);
  }
  ctx.config = std::move(*config);
  ctx.args = std::move(*args);
  if (needs_connection) {
    auto conn = Connection::open(ctx.args.get("dsn").value_or(""));
    if (!conn) {
      std::fprintf(stderr, "tombstone %.*s: %s\n", int(spec.name.size()), spec.name.data(),
                   conn.error().describe().c_str());
      return std::unexpected(kExitFailure);
    }
    ctx.conn.emplace(std::move(*conn));
  }
  return ctx;
}

std::optional<long> number_option(const Args& args, std::string_view name, long fallback,
                                  long min) {
  auto text = args.get(name);
  if (!text) return fallback;
  long v = 0;
  auto [p, ec] = std::from_chars(text->data(), text->data() + text->size(), v);
  if (ec != std::errc() || p != text->data() + text->size() || v < min) {
    std::fprintf(stderr, "tombstone: --%.*s must be a whole number >= %ld, got '%s'\n",
                 int(name.size()), name.data(), min, text->c_str());
    return std::nullopt;
  }
  return v;
}

}  // namespace tombstone::tools
