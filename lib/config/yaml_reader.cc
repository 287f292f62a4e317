// The config file layer: walks the YAML tree against the key table. yaml-cpp reports errors
// by throwing; nothing thrown leaves ApplyYamlText.
#include <yaml-cpp/yaml.h>

#include <optional>
#include <set>

#include "config/config_values.h"
#include "config/layers.h"

namespace ms::config {
namespace {

std::string Join(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& name : names) out += (out.empty() ? "" : ", ") + name;
  return out;
}

std::string Child(const std::string& section, const std::string& name) {
  return section.empty() ? name : section + "." + name;
}

// How a node that is not what the key wants is named in an error.
std::string Describe(const YAML::Node& node) {
  if (node.IsNull()) return "no value";
  if (node.IsSequence()) return "a list";
  if (node.IsMap()) return "a mapping";
  return QuoteForError(node.Scalar());
}

class YamlReader {
 public:
  YamlReader(const std::string& origin, Config& config) : origin_(origin), config_(config) {}

  Status Read(const std::string& yaml) {
    YAML::Node root = YAML::Load(yaml);
    if (root.IsNull()) return Status::Ok();  // an empty file keeps the defaults
    if (!root.IsMap()) return Error("", Describe(root) + " is not a mapping of sections", root);
    return ReadSection(root, "");
  }

 private:
  Status ReadSection(const YAML::Node& node, const std::string& section) {
    for (auto it = node.begin(); it != node.end(); ++it) {
      if (!it->first.IsScalar()) return Error(section, "keys must be strings", it->first);
      const std::string path = Child(section, it->first.Scalar());
      if (!seen_.insert(path).second) return Error(path, "duplicate key", it->first);
      MS_RETURN_IF_ERROR(ReadEntry(path, section, it->first, it->second));
    }
    return Status::Ok();
  }

  Status ReadEntry(const std::string& path, const std::string& section, const YAML::Node& key,
                   const YAML::Node& value) {
    if (const KeySpec* spec = FindKey(path)) return ReadKey(*spec, value, key.Mark());
    if (!IsSection(path)) return UnknownKey(path, section, key);
    if (value.IsNull()) return Status::Ok();  // "kafka:" with nothing under it
    if (!value.IsMap()) {
      return Error(
          path,
          Describe(value) + " is not a mapping (expected keys " + Join(ChildNames(path)) + ")",
          key);
    }
    return ReadSection(value, path);
  }

  Status UnknownKey(const std::string& path, const std::string& section, const YAML::Node& key) {
    const std::string known = section.empty()
                                  ? "known sections: " + Join(ChildNames(""))
                                  : "known keys in " + section + ": " + Join(ChildNames(section));
    return Error(path, "unknown key (" + known + ")", key);
  }

  Status ReadKey(const KeySpec& spec, const YAML::Node& value, const YAML::Mark& mark) {
    const std::string path(spec.path);
    Status status;
    switch (spec.type) {
      case KeyType::kList:
        status = ReadList(spec, value);
        break;
      case KeyType::kMap:
        status = ReadMap(spec, value);
        break;
      case KeyType::kPrices:
        return ReadPrices(spec, value, mark);
      default:
        status = value.IsScalar() ? ApplyScalar(spec, value.Scalar(), "config file", config_)
                                  : Mismatch(spec, value);
    }
    return status.ok() ? status : Error(path, status.message(), mark);
  }

  static Status Mismatch(const KeySpec& spec, const YAML::Node& value) {
    const std::string got = value.IsNull() ? "no value" : "got " + Describe(value);
    return InvalidArgument(got + " (expected " + ExpectedForm(spec) + ")");
  }

  Status ReadList(const KeySpec& spec, const YAML::Node& value) {
    if (!value.IsSequence()) {
      return InvalidArgument(Describe(value) + " is not a list (expected " + ExpectedForm(spec) +
                             ", e.g. [a, b])");
    }
    std::vector<std::string> items;
    for (const YAML::Node& item : value) {
      if (!item.IsScalar())
        return InvalidArgument("list items must be strings, got " + Describe(item));
      items.push_back(item.Scalar());
    }
    return ApplyList(spec, std::move(items), config_);
  }

  Status ReadMap(const KeySpec& spec, const YAML::Node& value) {
    if (!value.IsMap()) {
      return InvalidArgument(Describe(value) + " is not a mapping (expected a " +
                             DescribeType(spec) + ", e.g. {\"fetch.min.bytes\": \"1\"})");
    }
    StringMap entries;
    for (auto it = value.begin(); it != value.end(); ++it) {
      if (!it->first.IsScalar() || !it->second.IsScalar()) {
        return InvalidArgument("entries must map a string to a string, got " + Describe(it->first) +
                               ": " + Describe(it->second));
      }
      entries[it->first.Scalar()] = it->second.Scalar();
    }
    return ApplyMap(spec, std::move(entries), config_);
  }

  Status ReadPrices(const KeySpec& spec, const YAML::Node& value, const YAML::Mark& mark) {
    const std::string path(spec.path);
    if (!value.IsMap()) {
      return Error(path,
                   Describe(value) +
                       " is not a mapping (expected {model: {input_per_mtok: N, "
                       "output_per_mtok: N, cached_input_per_mtok: N}})",
                   mark);
    }
    PriceMap prices;
    for (auto it = value.begin(); it != value.end(); ++it) {
      if (!it->first.IsScalar()) return Error(path, "model names must be strings", it->first);
      const std::string model_path = path + "." + it->first.Scalar();
      MS_ASSIGN_OR_RETURN(prices[it->first.Scalar()], ReadPrice(model_path, it->second, it->first));
    }
    Status status = ApplyPrices(spec, std::move(prices), config_);
    return status.ok() ? status : Error(path, status.message(), mark);
  }

  StatusOr<ModelPrice> ReadPrice(const std::string& path, const YAML::Node& value,
                                 const YAML::Node& key) {
    if (!value.IsMap()) {
      return Error(path,
                   Describe(value) +
                       " is not a mapping (expected {input_per_mtok: N, "
                       "output_per_mtok: N, cached_input_per_mtok: N})",
                   key);
    }
    std::optional<double> input, output, cached_input, batch_multiplier;
    for (auto it = value.begin(); it != value.end(); ++it) {
      const std::string name = it->first.IsScalar() ? it->first.Scalar() : "";
      std::optional<double>* slot = name == "input_per_mtok"          ? &input
                                    : name == "output_per_mtok"       ? &output
                                    : name == "cached_input_per_mtok" ? &cached_input
                                    : name == "batch_multiplier"      ? &batch_multiplier
                                                                      : nullptr;
      if (slot == nullptr) {
        return Error(path + "." + name,
                     "unknown key (known keys: input_per_mtok, output_per_mtok, "
                     "cached_input_per_mtok, batch_multiplier)",
                     it->first);
      }
      StatusOr<double> number = it->second.IsScalar()
                                    ? ParsePriceText(it->second.Scalar())
                                    : StatusOr<double>(InvalidArgument(
                                          "got " + Describe(it->second) + " (expected a number)"));
      if (!number.ok()) return Error(path + "." + name, number.status().message(), it->first);
      *slot = *number;
    }
    if (!input || !output) {
      return Error(path, std::string("missing ") + (input ? "output_per_mtok" : "input_per_mtok"),
                   key);
    }
    ModelPrice price{*input, *output, cached_input};
    if (batch_multiplier) {
      if (*batch_multiplier > 1) {
        return Error(path + ".batch_multiplier",
                     "is " + std::to_string(*batch_multiplier) +
                         " (expected a fraction of the price from 0 to 1, e.g. 0.5)",
                     key);
      }
      price.batch_multiplier = *batch_multiplier;
    }
    return price;
  }

  Status Error(const std::string& path, const std::string& message, const YAML::Node& node) {
    return Error(path, message, node.Mark());
  }

  Status Error(const std::string& path, const std::string& message, const YAML::Mark& mark) {
    std::string text = "config: " + (path.empty() ? "" : path + ": ") + message;
    if (!mark.is_null()) {
      text +=
          " [" + (origin_.empty() ? "line " : origin_ + ":") + std::to_string(mark.line + 1) + "]";
    }
    return InvalidArgument(std::move(text));
  }

  const std::string& origin_;
  Config& config_;
  std::set<std::string> seen_;
};

// Both a value and its *_file in one layer is ambiguous: refuse rather than guess.
Status CheckSecretPairs(const Config& config) {
  for (const FilePair& pair : FilePairs()) {
    if (HasValue(*pair.value, config) && HasValue(*pair.file, config)) {
      return InvalidArgument("config: " + std::string(pair.value->path) + " and " +
                             std::string(pair.file->path) + " are both set (set only one)");
    }
  }
  return Status::Ok();
}

}  // namespace

Status ApplyYamlText(const std::string& yaml, const std::string& origin, Config& config) {
  try {
    MS_RETURN_IF_ERROR(YamlReader(origin, config).Read(yaml));
  } catch (const YAML::Exception& error) {
    std::string where = origin.empty() ? "line " : origin + ":";
    return InvalidArgument("config: YAML syntax error: " + error.msg + " [" + where +
                           std::to_string(error.mark.line + 1) + "]");
  } catch (const std::exception& error) {
    return InvalidArgument(std::string("config: cannot parse YAML: ") + error.what());
  }
  return CheckSecretPairs(config);
}

}  // namespace ms::config
