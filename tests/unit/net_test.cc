// Address helpers: an origin names one server whatever the path, credentials or default port.
#include "core/net.h"

#include <gtest/gtest.h>

namespace ms {
namespace {

TEST(UrlOrigin, IsSchemeHostAndPortOnly) {
  EXPECT_EQ(UrlOrigin("https://api.anthropic.com/v1/messages/batches/b1/results?x=1"),
            "https://api.anthropic.com");
  EXPECT_EQ(UrlOrigin("HTTPS://API.Anthropic.com:443/v1"), "https://api.anthropic.com");
  EXPECT_EQ(UrlOrigin("http://127.0.0.1:8089"), "http://127.0.0.1:8089");
  EXPECT_EQ(UrlOrigin("http://user:pw@127.0.0.1:80/x"), "http://127.0.0.1");
  EXPECT_EQ(UrlOrigin("http://h.example#frag"), "http://h.example");
}

TEST(UrlOrigin, TellsServersApart) {
  EXPECT_NE(UrlOrigin("https://api.anthropic.com/v1"), UrlOrigin("https://evil.example/v1"));
  EXPECT_NE(UrlOrigin("http://127.0.0.1:8089"), UrlOrigin("http://127.0.0.1:8090"));
  EXPECT_NE(UrlOrigin("http://api.example"), UrlOrigin("https://api.example"));
  // "api.example@evil.example" is evil.example with a user name.
  EXPECT_EQ(UrlOrigin("https://api.example@evil.example/r"), "https://evil.example");
}

TEST(UrlOrigin, IsEmptyForARelativeTarget) {
  EXPECT_EQ(UrlOrigin("/v1/batches"), "");
  EXPECT_EQ(UrlOrigin("v1/files/f-1/content"), "");
}

}  // namespace
}  // namespace ms
