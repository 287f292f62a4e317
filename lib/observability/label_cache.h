// A small map from a label set to the prometheus child that carries it, so repeated lookups
// of the same labels skip building a prometheus::Labels map. Internal to Metrics.
#pragma once

#include <mutex>
#include <string>
#include <unordered_map>

namespace ms {

template <typename T>
class LabelCache {
 public:
  // The child cached under `key`, else the one `make()` returns, cached from then on. `make`
  // runs under the cache's lock; children live as long as their family.
  template <typename Make>
  T& Get(const std::string& key, Make&& make) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = children_.find(key);
    if (it != children_.end()) return *it->second;
    T& child = make();
    children_.emplace(key, &child);
    return child;
  }

 private:
  std::mutex mu_;
  std::unordered_map<std::string, T*> children_;  // guarded by mu_
};

}  // namespace ms
