// The Appel native addon's entry point: registers one class per file (codecs, resampler, SRTP, the
// media's UDP socket) plus codecNames() and library versions. Node-API only (NAPI_VERSION in binding.gyp), so one
// build loads in any Node >= 18 and in Electron. The one per-environment state, the output slab
// (addon.h), is instance data: each worker has its own.
#include <opus.h>

#include "addon.h"

namespace appel {
namespace {

Napi::Value CodecNames(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* names[] = {"opus", "g722", "pcmu", "pcma", "g729", "gsm"};
  auto list = Napi::Array::New(env);
  for (uint32_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) list.Set(i, Napi::String::New(env, names[i]));
  return list;
}

Napi::Value OpusVersion(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), opus_get_version_string());
}

}  // namespace
}  // namespace appel

static Napi::Object InitAppelNative(Napi::Env env, Napi::Object exports) {
  using namespace appel;
  RegisterOpusCodec(env, exports);
  RegisterG711Codec(env, exports);
  RegisterG722Codec(env, exports);
  RegisterG729Codec(env, exports);
  RegisterGsmCodec(env, exports);
  RegisterResampler(env, exports);
  RegisterSrtpSession(env, exports);
#ifdef APPEL_POLLED_UDP
  RegisterUdpSocket(env, exports);
#endif
  exports.Set("codecNames", Napi::Function::New(env, CodecNames, "codecNames"));
  exports.Set("opusVersion", Napi::Function::New(env, OpusVersion, "opusVersion"));
  return exports;
}

NODE_API_MODULE(appel_native, InitAppelNative)
