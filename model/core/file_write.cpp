#include "model/core/file_write.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace pluma {

status file_write_atomic(const std::string& path, std::string_view bytes, const std::string& what) {
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return status::error("cannot write " + what + " '" + path + "': " + std::strerror(errno));
  auto give_up = [&](const char* doing) {
    const std::string why = std::strerror(errno);
    ::close(fd);
    std::remove(tmp.c_str());
    return status::error(std::string("error ") + doing + " " + what + " '" + path + "': " + why + "; '" + path +
                         "' is unchanged");
  };
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) errno = EIO;   // no progress and no error: say something true
    if (n <= 0) return give_up("writing");
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) return give_up("flushing");
  if (::close(fd) != 0) {
    const std::string why = std::strerror(errno);
    std::remove(tmp.c_str());
    return status::error("error closing " + what + " '" + path + "': " + why + "; '" + path + "' is unchanged");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    std::remove(tmp.c_str());
    return status::error("cannot write " + what + " '" + path + "': " + why);
  }
  // The rename itself reaches the disk with the folder's entry (best effort: some file systems refuse).
  const size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  if (const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return status::ok();
}

}  // namespace pluma
