// Reading the files a config names (the config itself, rule files, ClassBench files, WAF rule
// files). Only regular files are read, and only up to kMaxConfigFileBytes: a config that names
// a device, a FIFO or a huge /proc file gets an error, not a hang or unbounded memory.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

namespace gauntlet {

inline constexpr size_t kMaxConfigFileBytes = size_t{64} << 20;

// The whole text of `path`, or nullopt with `why` saying what is wrong with it ("No such
// file or directory", "not a regular file", "larger than 64 MiB").
std::optional<std::string> read_config_file(const std::string& path, std::string& why);

}  // namespace gauntlet
