// Bounded reads of config files (config_file.h).
#include "dataplane/control/config_file.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace gauntlet {

std::optional<std::string> read_config_file(const std::string& path, std::string& why) {
  // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer.
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    why = std::strerror(errno);
    return std::nullopt;
  }
  std::optional<std::string> text;
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    why = std::strerror(errno);
  } else if (!S_ISREG(st.st_mode)) {
    why = "not a regular file";
  } else {
    // Read to the end rather than trust st_size: /proc files say 0 and have text.
    std::string out;
    char chunk[16384];
    for (;;) {
      const ssize_t n = ::read(fd, chunk, sizeof chunk);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        why = std::strerror(errno);
        break;
      }
      if (n == 0) {
        text = std::move(out);
        break;
      }
      if (out.size() + static_cast<size_t>(n) > kMaxConfigFileBytes) {
        why = "larger than 64 MiB";
        break;
      }
      out.append(chunk, static_cast<size_t>(n));
    }
  }
  ::close(fd);
  return text;
}

}  // namespace gauntlet
