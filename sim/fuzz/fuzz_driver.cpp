// A stand-in for libFuzzer where it is not available (gcc builds): runs LLVMFuzzerTestOneInput on every file
// of a corpus folder, then on N deterministic random mutations of them. An escaping exception or a trap
// fails the run. Usage: fuzz_readers_driver CORPUS_DIR [RUNS] [SEED]
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <stdexcept>
#include <sstream>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

// Runs one input; on an escaping exception prints the input (so it can become a regression fixture) and
// aborts, as libFuzzer would.
void run(const std::string& input) {
  try {
    LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(input.data()), input.size());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fuzz_readers_driver: escaped exception: %s\ninput (%zu bytes):\n%s\n", e.what(),
                 input.size(), input.c_str());
    std::abort();
  }
}

// Fragments that steer mutations toward interesting JSON: numbers at the edges, wrong types, structure.
const char* const kTokens[] = {"0", "-1", "1e308", "-0", "1.5", "18446744073709551615", "9223372036854775808",
                               "null", "true", "\"\"", "\"x\"", "[]", "{}", "[", "{", "]", "}", ",", ":",
                               "\"schema\":1", "\"ranks\":0", "\"bytes\":-4", "\"nan\"", "\"time\":{}",
                               "\"records\":[{}]", "\"results\":[null]", "\"benchmarks\":[{}]"};

std::string mutate(std::string s, std::mt19937_64& rng) {
  const int edits = 1 + static_cast<int>(rng() % 4);
  for (int e = 0; e < edits; ++e) {
    const std::size_t pos = s.empty() ? 0 : rng() % (s.size() + 1);
    switch (rng() % 6) {
      case 0:  // flip a byte
        if (!s.empty()) s[std::min(pos, s.size() - 1)] = static_cast<char>(rng() % 256);
        break;
      case 1:  // delete a span
        if (!s.empty()) s.erase(std::min(pos, s.size() - 1), 1 + rng() % 16);
        break;
      case 2:  // truncate
        s.resize(pos);
        break;
      case 3:  // insert a token
        s.insert(pos, kTokens[rng() % (sizeof kTokens / sizeof kTokens[0])]);
        break;
      case 4: {  // duplicate a span elsewhere
        if (s.empty()) break;
        const std::size_t from = rng() % s.size();
        const std::string chunk = s.substr(from, 1 + rng() % 32);
        s.insert(rng() % (s.size() + 1), chunk);
        break;
      }
      default: {  // replace a number-looking run of digits
        const std::size_t digit = s.find_first_of("0123456789", pos);
        if (digit == std::string::npos) break;
        const std::size_t end = s.find_first_not_of("0123456789.eE+-", digit);
        s.replace(digit, (end == std::string::npos ? s.size() : end) - digit, kTokens[rng() % 6]);
        break;
      }
    }
  }
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR [RUNS] [SEED]\n", argv[0]);
    return 2;
  }
  const long runs = argc > 2 ? std::strtol(argv[2], nullptr, 10) : 1000;
  const unsigned long long seed = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 1;
  std::vector<std::string> corpus;
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(argv[1])) {
    if (entry.is_regular_file()) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());  // deterministic order
  for (const auto& path : files) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    corpus.push_back(text.str());
    run(corpus.back());
  }
  if (corpus.empty()) {
    std::fprintf(stderr, "%s: empty corpus\n", argv[1]);
    return 2;
  }
  std::mt19937_64 rng(seed);
  for (long i = 0; i < runs; ++i) run(mutate(corpus[rng() % corpus.size()], rng));
  std::printf("fuzz_readers_driver: %zu corpus file(s), %ld mutation(s), seed %llu: no failure\n", corpus.size(), runs,
              seed);
  return 0;
}
