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

template <typename T>
T& Ref(const KeySpec& spec, Config& config) {
  return std::get<FieldRef<T>>(spec.field)(config);
}

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

Status ReadFromFileKey(const KeySpec& spec, Config& config) {
  const KeySpec& file_key = *FindKey(SecretFileKey(spec));
  const std::string& path = Ref<std::string>(file_key, config);
  if (path.empty()) return Status::Ok();
  MS_ASSIGN_OR_RETURN(std::string value, ReadSecretFile(std::string(file_key.path), path));
  Ref<Secret>(spec, config) = Secret(std::move(value), "file " + path);
  return Status::Ok();
}

// systemd LoadCredential=<key>:<source> puts the secret at $CREDENTIALS_DIRECTORY/<key>.
Status ReadCredential(const KeySpec& spec, const std::string& directory, Config& config) {
  const std::string path = directory + "/" + std::string(spec.path);
  std::error_code error;
  if (!std::filesystem::exists(path, error)) return Status::Ok();
  MS_ASSIGN_OR_RETURN(std::string value, ReadSecretFile(std::string(spec.path), path));
  Ref<Secret>(spec, config) = Secret(std::move(value), "credential " + path);
  return Status::Ok();
}

}  // namespace

Status ResolveSecrets(const Environment& env, Config& config) {
  const std::string credentials = env.Get("CREDENTIALS_DIRECTORY").value_or("");
  for (const KeySpec& spec : AllKeys()) {
    if (spec.type != KeyType::kSecret) continue;
    MS_RETURN_IF_ERROR(ReadFromFileKey(spec, config));
    if (!credentials.empty()) MS_RETURN_IF_ERROR(ReadCredential(spec, credentials, config));
  }
  return Status::Ok();
}

}  // namespace ms::config
