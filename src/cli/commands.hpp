// Every subcommand registers itself here: setup_<name> adds its subcommand to
// the app and sets a callback that stores its exit code in `exit_code`.
// Keep one line per command, in alphabetical order.
#pragma once

#include <CLI/CLI.hpp>

namespace pedigree::cli {

void setup_attest(CLI::App& app, int& exit_code);
void setup_check(CLI::App& app, int& exit_code);
// `serve` in `pedigree`: replaces the process with the `pedigree-serve` helper
// beside it (serve_launcher.cpp); setup_serve is that helper's own subcommand.
void setup_serve_launcher(CLI::App& app, int& exit_code);
void setup_serve(CLI::App& app, int& exit_code);
void setup_clone(CLI::App& app, int& exit_code);
void setup_estimate(CLI::App& app, int& exit_code);
void setup_fingerprint(CLI::App& app, int& exit_code);
void setup_graph(CLI::App& app, int& exit_code);
void setup_relate(CLI::App& app, int& exit_code);
void setup_site(CLI::App& app, int& exit_code);
void setup_hash(CLI::App& app, int& exit_code);
void setup_import(CLI::App& app, int& exit_code);
void setup_index(CLI::App& app, int& exit_code);
void setup_init(CLI::App& app, int& exit_code);
void setup_inspect(CLI::App& app, int& exit_code);
void setup_key(CLI::App& app, int& exit_code);
// `key rotate` and `key revoke` (cmd_key_retire.cpp), under `key`.
void setup_key_retire(CLI::App* key, int& exit_code);
void setup_remote(CLI::App& app, int& exit_code);
void setup_scan(CLI::App& app, int& exit_code);
void setup_sync(CLI::App& app, int& exit_code);
void setup_tree(CLI::App& app, int& exit_code);
void setup_trust(CLI::App& app, int& exit_code);
void setup_verify(CLI::App& app, int& exit_code);

}  // namespace pedigree::cli
