// The lazily loaded GSSAPI functions (src/pedigree/ledger/gssapi_lazy.cpp,
// linked with PEDIGREE_STATIC_DEPS) reach the real libgssapi_krb5.so.2: the
// calls libgit2's Negotiate authentication makes succeed, offline.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>

#ifdef PEDIGREE_LAZY_GSSAPI
extern "C" {
// RFC 2744 types, as gssapi_lazy.cpp passes them through.
struct GssBuffer {
  std::size_t length;
  void* value;
};
struct GssOid {
  std::uint32_t length;
  void* elements;
};
struct GssOidSet {
  std::size_t count;
  GssOid* elements;
};
extern void* GSS_C_NT_HOSTBASED_SERVICE;
std::uint32_t gss_indicate_mechs(std::uint32_t* minor, GssOidSet** set);
std::uint32_t gss_release_oid_set(std::uint32_t* minor, GssOidSet** set);
std::uint32_t gss_import_name(std::uint32_t* minor, GssBuffer* name, void* type, void** out);
std::uint32_t gss_release_name(std::uint32_t* minor, void** name);
std::uint32_t gss_display_status(std::uint32_t* minor, std::uint32_t status, int type, void* mech,
                                 std::uint32_t* context, GssBuffer* out);
std::uint32_t gss_release_buffer(std::uint32_t* minor, GssBuffer* buffer);
}
#endif

namespace {

#ifdef PEDIGREE_LAZY_GSSAPI
TEST(GssapiLazy, ForwardsToTheSystemLibrary) {
  std::uint32_t minor = 0;
  GssOidSet* mechs = nullptr;
  ASSERT_EQ(gss_indicate_mechs(&minor, &mechs), 0u);  // GSS_S_COMPLETE
  ASSERT_NE(mechs, nullptr);
  EXPECT_GE(mechs->count, 1u);
  EXPECT_EQ(gss_release_oid_set(&minor, &mechs), 0u);
  EXPECT_EQ(mechs, nullptr);

  // The host-based service name type, as libgit2 imports "HTTP@host".
  const auto* hostbased = static_cast<const GssOid*>(GSS_C_NT_HOSTBASED_SERVICE);
  ASSERT_EQ(hostbased->length, 10u);
  EXPECT_EQ(std::memcmp(hostbased->elements, "\x2a\x86\x48\x86\xf7\x12\x01\x02\x01\x04", 10), 0);
  char text[] = "HTTP@ledger.example.org";
  GssBuffer name_buffer{std::strlen(text), text};
  void* name = nullptr;
  ASSERT_EQ(gss_import_name(&minor, &name_buffer, GSS_C_NT_HOSTBASED_SERVICE, &name), 0u);
  EXPECT_NE(name, nullptr);
  EXPECT_EQ(gss_release_name(&minor, &name), 0u);

  // A status message round trip (GSS_S_FAILURE, GSS_C_GSS_CODE).
  std::uint32_t context = 0;
  GssBuffer message{0, nullptr};
  ASSERT_EQ(gss_display_status(&minor, 13u << 16, 1, nullptr, &context, &message), 0u);
  EXPECT_GT(message.length, 0u);
  EXPECT_EQ(gss_release_buffer(&minor, &message), 0u);
}
#else
TEST(GssapiLazy, ForwardsToTheSystemLibrary) {
  GTEST_SKIP() << "built with shared libraries (PEDIGREE_STATIC_DEPS=OFF): nothing to forward";
}
#endif

}  // namespace
