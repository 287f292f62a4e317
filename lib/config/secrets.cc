// Secret resolution: *_file, then systemd credentials. Values are read here and only here.
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "config/config_values.h"
#include "config/layers.h"

namespace ms::config {
namespace {

constexpr size_t kMaxSecretBytes = 64 * 1024;

// The file's content without trailing newlines; `key` names the setting in errors.
StatusOr<std::string> ReadSecretFile(const std::string& key, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return InvalidArgument("config: " + key + ": cannot read " + QuoteForError(path) + ": " +
                           std::strerror(errno));
  }
  std::string content(kMaxSecretBytes + 1, '\0');
  in.read(content.data(), static_cast<std::streamsize>(content.size()));
  content.resize(static_cast<size_t>(in.gcount()));
  if (content.size() > kMaxSecretBytes) {
    return InvalidArgument("config: " + key + ": " + QuoteForError(path) +
                           " is larger than 64 KiB (expected a file holding only the secret)");
  }
  while (!content.empty() && (content.back() == '\n' || content.back() == '\r')) {
    content.pop_back();
  }
  if (content.empty()) {
    return InvalidArgument("config: " + key + ": " + QuoteForError(path) +
                           " is empty (expected a file holding the secret)");
  }
  return content;
}

// Sets `key` from the file's content; errors name `setting` (the *_file key or the credential)
// and the file, never the content. A URL is checked later as it would be in the config file.
Status ApplyFromFile(const KeySpec& key, std::string_view setting, const std::string& path,
                     const std::string& origin, Config& config) {
  MS_ASSIGN_OR_RETURN(std::string value, ReadSecretFile(std::string(setting), path));
  if (key.type != KeyType::kSecret && value.find('\n') != std::string::npos) {
    return InvalidArgument("config: " + std::string(setting) + ": " + QuoteForError(path) +
                           " holds more than one line (expected only the value)");
  }
  return ApplyText(key, value, origin, config);
}

Status ReadFromFileKey(const FilePair& pair, Config& config) {
  const std::string& path = std::get<FieldRef<std::string>>(pair.file->field)(config);
  if (path.empty()) return Status::Ok();
  return ApplyFromFile(*pair.value, pair.file->path, path, "file " + path, config);
}

// systemd LoadCredential=<key>:<source> puts the value at $CREDENTIALS_DIRECTORY/<key>.
Status ReadCredential(const KeySpec& key, const std::string& directory, Config& config) {
  const std::string path = directory + "/" + std::string(key.path);
  std::error_code error;
  if (!std::filesystem::exists(path, error)) return Status::Ok();
  return ApplyFromFile(key, key.path, path, "credential " + path, config);
}

}  // namespace

Status ResolveSecrets(const Environment& env, Config& config) {
  const std::string credentials = env.Get("CREDENTIALS_DIRECTORY").value_or("");
  for (const FilePair& pair : FilePairs()) {
    MS_RETURN_IF_ERROR(ReadFromFileKey(pair, config));
    if (!credentials.empty()) MS_RETURN_IF_ERROR(ReadCredential(*pair.value, credentials, config));
  }
  return Status::Ok();
}

}  // namespace ms::config
