// G711Codec: ITU-T G.711 µ-law (PCMU) and A-law (PCMA), 8 kHz, one byte per sample
// (RFC 3551 §4.5.14), with spandsp's waveform-substitution PLC for lost packets.
// JS: new G711Codec({ law: 'pcmu' | 'pcma' }) .encode(Int16Array) .decode(Uint8Array | null) .close()
#include "addon.h"  // first: spandsp headers expect <stdint.h> types already declared

#include <spandsp/telephony.h>
#include <spandsp/bit_operations.h>
#include <spandsp/g711.h>
#include <spandsp/plc.h>

namespace appel {
namespace {

constexpr size_t kFrameSamples = 160;  // 20 ms at 8 kHz

class G711Codec : public Napi::ObjectWrap<G711Codec> {
 public:
  static void Register(Napi::Env env, Napi::Object exports) {
    exports.Set("G711Codec", DefineClass(env, "G711Codec",
                                         {InstanceMethod<&G711Codec::Encode>("encode"),
                                          InstanceMethod<&G711Codec::Decode>("decode"),
                                          InstanceMethod<&G711Codec::Close>("close")}));
  }

  explicit G711Codec(const Napi::CallbackInfo& info) : Napi::ObjectWrap<G711Codec>(info) {
    Napi::Object o = OptionsArg(info);
    Napi::Value law = o.Get("law");
    std::string name = law.IsString() ? law.As<Napi::String>().Utf8Value() : "";
    if (name != "pcmu" && name != "pcma") throw Napi::TypeError::New(info.Env(), "law must be 'pcmu' or 'pcma'");
    alaw_ = name == "pcma";
    plc_init(&plc_);
  }

 private:
  void EnsureOpen(Napi::Env env) const {
    if (closed_) ThrowCoded(env, "closed", "g711 codec is closed");
  }

  Napi::Value Encode(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    EnsureOpen(env);
    Int16Input pcm = Int16Arg(info, 0, "pcm");
    if (pcm.length != kFrameSamples) throw Napi::TypeError::New(env, "pcm must hold 160 samples");
    auto out = OutputSlab::Bytes(env, kFrameSamples);
    uint8_t* dst = out.Data();
    if (alaw_) {
      for (size_t i = 0; i < kFrameSamples; i++) dst[i] = linear_to_alaw(pcm.data[i]);
    } else {
      for (size_t i = 0; i < kFrameSamples; i++) dst[i] = linear_to_ulaw(pcm.data[i]);
    }
    return out;
  }

  // Any payload length decodes (a peer may send 10 or 30 ms); null conceals one 20 ms frame.
  Napi::Value Decode(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    EnsureOpen(env);
    if (info[0].IsNull() || info[0].IsUndefined()) {
      auto out = OutputSlab::Int16(env, kFrameSamples);
      plc_fillin(&plc_, out.Data(), static_cast<int>(kFrameSamples));
      return out;
    }
    BytesInput payload = BytesArg(info, 0, "payload");
    auto out = OutputSlab::Int16(env, payload.length);
    int16_t* dst = out.Data();
    if (alaw_) {
      for (size_t i = 0; i < payload.length; i++) dst[i] = alaw_to_linear(payload.data[i]);
    } else {
      for (size_t i = 0; i < payload.length; i++) dst[i] = ulaw_to_linear(payload.data[i]);
    }
    if (payload.length > 0) plc_rx(&plc_, dst, static_cast<int>(payload.length));
    return out;
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    closed_ = true;
    return info.Env().Undefined();
  }

  bool alaw_ = false;
  bool closed_ = false;
  plc_state_t plc_{};
};

}  // namespace

void RegisterG711Codec(Napi::Env env, Napi::Object exports) { G711Codec::Register(env, exports); }

}  // namespace appel
