// The GSSAPI functions Debian's static libgit2 needs (HTTP "Negotiate"
// authentication, auth_negotiate.c), loaded from libgssapi_krb5.so.2 only
// when first called. Linking the shared library instead would make every
// pedigree process load and relocate it and the four Kerberos libraries it
// pulls in (~2 ms of a ~4 ms start, see docs/benchmarks.md#check), for an
// authentication method hardly any ledger remote uses.
//
// Built only with PEDIGREE_STATIC_DEPS, as its own archive linked after
// libgit2.a (CMakeLists.txt). The signatures are
// those of RFC 2744 (the GSS-API C bindings); all types are passed through
// untouched, so only their sizes matter: 32-bit OM_uint32 and pointers.
#include <dlfcn.h>
#include <cstdint>
#include <mutex>

namespace {

using OM_uint32 = std::uint32_t;

// gss_OID_desc (RFC 2744 §3.4).
struct OidDesc {
  OM_uint32 length;
  void* elements;
};

constexpr OM_uint32 k_gss_s_failure = 13u << 16;  // GSS_S_FAILURE: a routine error

void* library() {
  static void* handle = nullptr;
  static std::once_flag once;
  std::call_once(once, [] { handle = ::dlopen("libgssapi_krb5.so.2", RTLD_NOW | RTLD_LOCAL); });
  return handle;
}

template <typename Fn>
Fn resolve(const char* name) {
  void* lib = library();
  return lib ? reinterpret_cast<Fn>(::dlsym(lib, name)) : nullptr;
}

// GSS_C_NT_HOSTBASED_SERVICE, 1.2.840.113554.1.2.1.4 (RFC 2744 §4): libgit2
// reads the variable before any call, so it points to this copy; the name's
// import swaps in the library's own object.
unsigned char k_hostbased_bytes[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x01, 0x04};
OidDesc k_hostbased = {sizeof k_hostbased_bytes, k_hostbased_bytes};

}  // namespace

// Each forwarder calls the real function, or fails like GSSAPI does when the
// library is missing (libgit2 then reports that Negotiate is unavailable).
// Hidden: the loaded library must never bind its own calls to these.
#define PD_GSS_HIDDEN __attribute__((visibility("hidden")))
#define PD_GSS_FORWARD(name, params, args)            \
  extern "C" PD_GSS_HIDDEN OM_uint32 name params {    \
    using Fn = OM_uint32(*) params;                   \
    static const Fn real = resolve<Fn>(#name);        \
    if (real == nullptr) {                            \
      if (minor_status != nullptr) *minor_status = 0; \
      return k_gss_s_failure;                         \
    }                                                 \
    return real args;                                 \
  }

extern "C" {
PD_GSS_HIDDEN void* GSS_C_NT_HOSTBASED_SERVICE = &k_hostbased;
}

PD_GSS_FORWARD(gss_display_status,
               (OM_uint32 * minor_status, OM_uint32 status_value, int status_type, void* mech_type,
                OM_uint32* message_context, void* status_string),
               (minor_status, status_value, status_type, mech_type, message_context, status_string))
PD_GSS_FORWARD(gss_release_buffer, (OM_uint32 * minor_status, void* buffer), (minor_status, buffer))
PD_GSS_FORWARD(gss_delete_sec_context,
               (OM_uint32 * minor_status, void* context_handle, void* output_token),
               (minor_status, context_handle, output_token))
PD_GSS_FORWARD(gss_release_name, (OM_uint32 * minor_status, void* name), (minor_status, name))
PD_GSS_FORWARD(gss_indicate_mechs, (OM_uint32 * minor_status, void* mech_set),
               (minor_status, mech_set))
PD_GSS_FORWARD(gss_release_oid_set, (OM_uint32 * minor_status, void* set), (minor_status, set))
PD_GSS_FORWARD(gss_init_sec_context,
               (OM_uint32 * minor_status, void* claimant_cred_handle, void* context_handle,
                void* target_name, void* mech_type, OM_uint32 req_flags, OM_uint32 time_req,
                void* input_chan_bindings, void* input_token, void* actual_mech_type,
                void* output_token, OM_uint32* ret_flags, OM_uint32* time_rec),
               (minor_status, claimant_cred_handle, context_handle, target_name, mech_type,
                req_flags, time_req, input_chan_bindings, input_token, actual_mech_type,
                output_token, ret_flags, time_rec))

// gss_import_name: the one call that takes GSS_C_NT_HOSTBASED_SERVICE.
extern "C" PD_GSS_HIDDEN OM_uint32 gss_import_name(OM_uint32* minor_status, void* input_name_buffer,
                                                   void* input_name_type, void* output_name) {
  using Fn = OM_uint32 (*)(OM_uint32*, void*, void*, void*);
  static const Fn real = resolve<Fn>("gss_import_name");
  static void* const* real_hostbased =
      resolve<void* const*>("GSS_C_NT_HOSTBASED_SERVICE");  // the address of its gss_OID
  if (real == nullptr) {
    if (minor_status != nullptr) *minor_status = 0;
    return k_gss_s_failure;
  }
  if (input_name_type == &k_hostbased && real_hostbased != nullptr) {
    input_name_type = *real_hostbased;
  }
  return real(minor_status, input_name_buffer, input_name_type, output_name);
}
