// ccsim's dispatcher: parse, run the chosen subcommand, turn every error into one line and an exit status.
#include "sim/cli.h"

#include <ostream>

#include "ccb_config.h"
#include "core/error.h"
#include "sim/cli_parts.h"

namespace ccb::sim {

int runCcsim(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  CLI::App app("ccsim " CCB_VERSION ": predict, calibrate and compare collective communication times", "ccsim");
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("ccsim ") + CCB_VERSION + " (" + CCB_GIT_REVISION + ")");
  cli::PredictArgs predict;
  cli::CalibrateArgs calibrate;
  cli::CompareArgs compare;
  cli::addPredict(app, predict);
  cli::addCalibrate(app, calibrate);
  cli::addCompare(app, compare);

  std::string command;
  for (const std::string& a : args) command += (command.empty() ? "" : " ") + a;
  const cli::Env env{out, err, command};
  try {
    std::vector<std::string> rest(args.rbegin(), args.rend() - (args.empty() ? 0 : 1));  // CLI11 wants them reversed
    app.parse(rest);
    if (predict.selected) return cli::runPredict(predict, env);
    if (calibrate.selected) return cli::runCalibrate(calibrate, env);
    if (compare.selected) return cli::runCompare(compare, env);
    return 0;
  } catch (const CLI::CallForHelp&) {
    out << app.help();
    return 0;
  } catch (const CLI::CallForAllHelp&) {
    out << app.help("", CLI::AppFormatMode::All);
    return 0;
  } catch (const CLI::CallForVersion& e) {
    out << e.what() << "\n";
    return 0;
  } catch (const CLI::ParseError& e) {
    err << "ccsim: error: " << e.what() << " (ccsim --help)\n";
    return 2;
  } catch (const InvariantError& e) {
    err << "ccsim: internal error: " << e.what() << "\n";
    return 3;
  } catch (const Error& e) {
    err << "ccsim: error: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    err << "ccsim: error: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace ccb::sim
