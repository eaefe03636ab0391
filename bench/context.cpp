#include "bench/context.h"

#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <string_view>

#include "bench/cross_rank.h"
#include "bench/git_revision.h"
#include "ccb_config.h"
#include "comm/watchdog.h"

namespace ccb {
namespace {

bool isTransportVariable(std::string_view name) {
  constexpr std::string_view kExact[] = {"NCCL_ALGO", "NCCL_PROTO"};
  // MPICH's launcher (Hydra) sets this one in every process it starts: it records no choice of the user.
  constexpr std::string_view kSetByLauncher = "MPIR_CVAR_CH3_INTERFACE_HOSTNAME";
  return std::find(std::begin(kExact), std::end(kExact), name) != std::end(kExact) ||
         name.starts_with("UCX_") || (name.starts_with("MPIR_CVAR_") && name != kSetByLauncher);
}

// Words made only of these characters paste into a shell unchanged; anything else is single-quoted.
bool needsQuoting(std::string_view word) {
  if (word.empty()) return true;
  return word.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-+=.,/:@%") !=
         std::string_view::npos;
}

std::string shellWord(std::string_view word) {
  if (!needsQuoting(word)) return std::string(word);
  std::string quoted = "'";
  for (char c : word) quoted += (c == '\'') ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

}  // namespace

std::string isoDateUtc(std::chrono::system_clock::time_point time) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(time);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

std::map<std::string, std::string> transportEnv(const char* const* envp) {
  std::map<std::string, std::string> env;
  for (const char* const* entry = envp; entry != nullptr && *entry != nullptr; ++entry) {
    const std::string_view text(*entry);
    const std::size_t equals = text.find('=');
    if (equals == std::string_view::npos) continue;
    const std::string_view name = text.substr(0, equals);
    if (isTransportVariable(name)) env[std::string(name)] = std::string(text.substr(equals + 1));
  }
  return env;
}

std::string commandLine(int argc, const char* const* argv) {
  std::string line;
  for (int i = 0; i < argc; ++i) {
    std::string_view word(argv[i]);
    if (i == 0) word = word.substr(word.rfind('/') == std::string_view::npos ? 0 : word.rfind('/') + 1);
    if (i > 0) line += ' ';
    line += shellWord(word);
  }
  return line;
}

int launcherRank() {
  for (const char* name : {"PMI_RANK", "PMIX_RANK", "OMPI_COMM_WORLD_RANK"}) {
    if (const char* value = std::getenv(name)) return std::atoi(value);
  }
  return 0;
}

int coresAvailable() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) != 0) return 1;
  return std::max(1, CPU_COUNT(&set));
}

std::vector<std::string> uniqueHosts(const std::vector<std::string>& hostByRank) {
  std::vector<std::string> hosts;
  for (const std::string& host : hostByRank) {
    if (std::find(hosts.begin(), hosts.end(), host) == hosts.end()) hosts.push_back(host);
  }
  return hosts;
}

RunContext collectRunContext(MpiTransport& transport, CrossRank& crossRank, const std::string& command,
                             Clock::duration timeout) {
  RunContext context;
  context.tool = "ccbench";
  context.version = CCB_VERSION;
  context.gitRevision = gitRevision();
  context.date = isoDateUtc(std::chrono::system_clock::now());
  context.command = command;
  context.ranks = transport.size();
  context.mpiLibrary = mpiLibraryVersion();
  context.device = "cpu";
  context.env = transportEnv(::environ);

  int ranksOnThisHost = 0;
  {
    WatchdogGuard guard(processWatchdog(), Clock::now() + timeout, "gathering host names");
    context.hosts = uniqueHosts(gatherHostnames(transport.comm()));
    ranksOnThisHost = localRanks(transport.comm());
  }
  const int cores = coresAvailable();
  context.ranksPerHost = static_cast<int>(crossRank.max(ranksOnThisHost, "context: ranks per host"));
  context.coresPerHost = static_cast<int>(crossRank.max(cores, "context: cores per host"));
  context.oversubscribed = crossRank.max(ranksOnThisHost > cores ? 1 : 0, "context: oversubscription") != 0;
  return context;
}

}  // namespace ccb
