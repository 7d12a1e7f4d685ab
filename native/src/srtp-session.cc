// SrtpSession: one direction of SRTP/SRTCP (RFC 3711) through libsrtp2, keyed by a master key and
// salt as SDES (RFC 4568) or DTLS-SRTP (RFC 5764) hand it over. libsrtp keeps the replay window
// (RFC 3711 §3.3.2) and the rollover counter; every SSRC seen in the given direction gets a stream
// cloned from the session's template.
// JS: new SrtpSession({ suite, key, direction }) .protectRtp(Uint8Array) .unprotectRtp(Uint8Array)
//     .protectRtcp(Uint8Array) .unprotectRtcp(Uint8Array) .close()     errors carry .code
//     ('replay' | 'auth' | 'bad-packet' | 'error' | 'closed'); srtpSuites() -> string[]
#include <srtp2/srtp.h>

#include <array>
#include <mutex>
#include <string>
#include <vector>

#include "addon.h"

namespace appel {
namespace {

using SrtpPtr = std::unique_ptr<srtp_ctx_t, Deleter<srtp_dealloc>>;

constexpr size_t kMaxPacket = 65535;  // one UDP datagram
constexpr size_t kRtpHeader = 12;      // RFC 3550 §5.1
constexpr size_t kRtcpHeader = 8;      // RFC 3550 §6.4.1: header + SSRC of sender

srtp_err_status_t InitLibrary() {
  static std::once_flag once;
  static srtp_err_status_t status = srtp_err_status_ok;
  std::call_once(once, [] { status = srtp_init(); });
  return status;
}

struct Suite {
  const char* name;
  void (*rtp)(srtp_crypto_policy_t*);
  void (*rtcp)(srtp_crypto_policy_t*);
  size_t keyLength;  // master key + master salt
};

// RFC 4568 §6.2 (AES_CM_128_HMAC_SHA1_80 is libsrtp's default policy; _32 keeps an 80-bit tag
// on SRTCP) and RFC 7714 §14.2 (AEAD_AES_128_GCM: 16-byte tag, 12-byte salt).
const std::array<Suite, 3> kSuites = {{
    {"AES_CM_128_HMAC_SHA1_80", srtp_crypto_policy_set_rtp_default,
     srtp_crypto_policy_set_rtp_default, SRTP_AES_ICM_128_KEY_LEN_WSALT},
    {"AES_CM_128_HMAC_SHA1_32", srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32,
     srtp_crypto_policy_set_rtp_default, SRTP_AES_ICM_128_KEY_LEN_WSALT},
    {"AEAD_AES_128_GCM", srtp_crypto_policy_set_aes_gcm_128_16_auth, srtp_crypto_policy_set_aes_gcm_128_16_auth,
     SRTP_AES_GCM_128_KEY_LEN_WSALT},
}};

const Suite* FindSuite(const std::string& name) {
  for (const Suite& s : kSuites) {
    if (name == s.name) return &s;
  }
  return nullptr;
}

void Wipe(uint8_t* p, size_t n) {
  volatile uint8_t* v = p;
  while (n-- > 0) *v++ = 0;
}

srtp_err_status_t Create(SrtpPtr& out, const Suite& suite, const uint8_t* key, bool outbound) {
  std::array<uint8_t, SRTP_MAX_KEY_LEN> master{};
  std::copy(key, key + suite.keyLength, master.begin());
  srtp_policy_t policy{};
  suite.rtp(&policy.rtp);
  suite.rtcp(&policy.rtcp);
  policy.ssrc.type = outbound ? ssrc_any_outbound : ssrc_any_inbound;
  policy.key = master.data();
  policy.window_size = 128;  // libsrtp's default; RFC 3711 §3.3.2 asks for at least 64
  policy.allow_repeat_tx = 0;
  srtp_t ctx = nullptr;
  srtp_err_status_t status = srtp_create(&ctx, &policy);
  Wipe(master.data(), master.size());
  out.reset(status == srtp_err_status_ok ? ctx : nullptr);
  return status;
}

const char* CodeOf(srtp_err_status_t status) {
  switch (status) {
    case srtp_err_status_replay_fail:
    case srtp_err_status_replay_old:
      return "replay";
    case srtp_err_status_auth_fail:
    case srtp_err_status_cipher_fail:  // AEAD: a failed GCM tag check
      return "auth";
    case srtp_err_status_bad_param:
    case srtp_err_status_parse_err:
    case srtp_err_status_bad_mki:
      return "bad-packet";
    default:
      return "error";
  }
}

const char* Describe(srtp_err_status_t status) {
  switch (status) {
    case srtp_err_status_replay_fail: return "replayed packet";
    case srtp_err_status_replay_old: return "packet older than the replay window";
    case srtp_err_status_auth_fail: return "authentication tag mismatch";
    case srtp_err_status_cipher_fail: return "cipher failure (authentication tag mismatch)";
    case srtp_err_status_bad_param: return "malformed packet";
    case srtp_err_status_parse_err: return "malformed packet";
    case srtp_err_status_key_expired: return "key expired";
    default: return "libsrtp error";
  }
}

class SrtpSession : public Napi::ObjectWrap<SrtpSession> {
 public:
  static void Register(Napi::Env env, Napi::Object exports) {
    exports.Set("SrtpSession", DefineClass(env, "SrtpSession",
                                           {InstanceMethod<&SrtpSession::ProtectRtp>("protectRtp"),
                                            InstanceMethod<&SrtpSession::UnprotectRtp>("unprotectRtp"),
                                            InstanceMethod<&SrtpSession::ProtectRtcp>("protectRtcp"),
                                            InstanceMethod<&SrtpSession::UnprotectRtcp>("unprotectRtcp"),
                                            InstanceMethod<&SrtpSession::Close>("close")}));
    exports.Set("srtpSuites", Napi::Function::New(env, Suites, "srtpSuites"));
    exports.Set("srtpVersion", Napi::Function::New(env, Version, "srtpVersion"));
  }

  explicit SrtpSession(const Napi::CallbackInfo& info) : Napi::ObjectWrap<SrtpSession>(info) {
    Napi::Env env = info.Env();
    srtp_err_status_t init = InitLibrary();
    if (init != srtp_err_status_ok) ThrowCoded(env, "error", "srtp_init failed (status " + std::to_string(init) + ")");
    Napi::Object o = OptionsArg(info);
    Napi::Value suiteName = o.Get("suite");
    const Suite* suite = suiteName.IsString() ? FindSuite(suiteName.As<Napi::String>().Utf8Value()) : nullptr;
    if (suite == nullptr) throw Napi::TypeError::New(env, "suite is not a known SRTP crypto suite");
    Napi::Value keyValue = o.Get("key");
    if (!keyValue.IsTypedArray() || keyValue.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array ||
        keyValue.As<Napi::Uint8Array>().ElementLength() != suite->keyLength) {
      throw Napi::TypeError::New(env, "key must be a Uint8Array of " + std::to_string(suite->keyLength) + " bytes");
    }
    Napi::Value direction = o.Get("direction");
    std::string dir = direction.IsString() ? direction.As<Napi::String>().Utf8Value() : "";
    if (dir != "inbound" && dir != "outbound") throw Napi::TypeError::New(env, "direction must be 'inbound' or 'outbound'");
    srtp_err_status_t status = Create(ctx_, *suite, keyValue.As<Napi::Uint8Array>().Data(), dir == "outbound");
    if (status != srtp_err_status_ok) {
      ThrowCoded(env, "error", std::string("srtp_create(") + suite->name + ") failed (status " + std::to_string(status) + ")");
    }
  }

 private:
  static Napi::Value Suites(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto list = Napi::Array::New(env);
    if (InitLibrary() != srtp_err_status_ok) return list;
    // Probe each suite once: AEAD_AES_128_GCM exists only when libsrtp was built with a crypto library.
    static std::once_flag once;
    static std::vector<const char*> available;
    std::call_once(once, [] {
      const std::array<uint8_t, SRTP_MAX_KEY_LEN> key{};
      for (const Suite& s : kSuites) {
        SrtpPtr probe;
        if (Create(probe, s, key.data(), true) == srtp_err_status_ok) available.push_back(s.name);
      }
    });
    for (uint32_t i = 0; i < available.size(); i++) list.Set(i, Napi::String::New(env, available[i]));
    return list;
  }

  static Napi::Value Version(const Napi::CallbackInfo& info) {
    return Napi::String::New(info.Env(), srtp_get_version_string());
  }

  using Transform = srtp_err_status_t (*)(srtp_t, void*, int*);

  Napi::Value Apply(const Napi::CallbackInfo& info, Transform fn, size_t minLength, const char* what) {
    Napi::Env env = info.Env();
    if (!ctx_) ThrowCoded(env, "closed", "srtp session is closed");
    BytesInput packet = BytesArg(info, 0, "packet");
    if (packet.length < minLength || packet.length > kMaxPacket) {
      ThrowCoded(env, "bad-packet", std::string(what) + ": packet of " + std::to_string(packet.length) + " bytes");
    }
    size_t room = packet.length + SRTP_MAX_TRAILER_LEN + 4;  // libsrtp writes the trailer in place
    if (buffer_.size() < room) buffer_.resize(room);
    std::copy(packet.data, packet.data + packet.length, buffer_.begin());
    int len = static_cast<int>(packet.length);
    srtp_err_status_t status = fn(ctx_.get(), buffer_.data(), &len);
    if (status != srtp_err_status_ok) {
      ThrowCoded(env, CodeOf(status), std::string(what) + ": " + Describe(status) + " (libsrtp status " +
                                          std::to_string(status) + ")");
    }
    return NewBytes(env, buffer_.data(), static_cast<size_t>(len));
  }

  Napi::Value ProtectRtp(const Napi::CallbackInfo& info) { return Apply(info, srtp_protect, kRtpHeader, "protectRtp"); }
  Napi::Value UnprotectRtp(const Napi::CallbackInfo& info) {
    return Apply(info, srtp_unprotect, kRtpHeader, "unprotectRtp");
  }
  Napi::Value ProtectRtcp(const Napi::CallbackInfo& info) {
    return Apply(info, srtp_protect_rtcp, kRtcpHeader, "protectRtcp");
  }
  Napi::Value UnprotectRtcp(const Napi::CallbackInfo& info) {
    return Apply(info, srtp_unprotect_rtcp, kRtcpHeader, "unprotectRtcp");
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    ctx_.reset();
    Wipe(buffer_.data(), buffer_.size());
    return info.Env().Undefined();
  }

  SrtpPtr ctx_;
  std::vector<uint8_t> buffer_;
};

}  // namespace

void RegisterSrtpSession(Napi::Env env, Napi::Object exports) { SrtpSession::Register(env, exports); }

}  // namespace appel
