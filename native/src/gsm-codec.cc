// GsmCodec: GSM 06.10 full rate through libgsm; 8 kHz, 160 samples -> 33 bytes per 20 ms
// (RFC 3551 §4.5.8). Lost packets are concealed with spandsp's PLC.
// JS: new GsmCodec({}) .encode(Int16Array) .decode(Uint8Array | null) .close()
#include "addon.h"  // first: spandsp headers expect <stdint.h> types already declared

#include <gsm/gsm.h>
#include <spandsp/telephony.h>
#include <spandsp/plc.h>

#include <array>

namespace appel {
namespace {

using GsmPtr = std::unique_ptr<gsm_state, Deleter<gsm_destroy>>;

constexpr size_t kFrameSamples = 160;
constexpr size_t kFrameBytes = 33;

class GsmCodec : public Napi::ObjectWrap<GsmCodec> {
 public:
  static void Register(Napi::Env env, Napi::Object exports) {
    exports.Set("GsmCodec", DefineClass(env, "GsmCodec",
                                        {InstanceMethod<&GsmCodec::Encode>("encode"),
                                         InstanceMethod<&GsmCodec::Decode>("decode"),
                                         InstanceMethod<&GsmCodec::Close>("close")}));
  }

  explicit GsmCodec(const Napi::CallbackInfo& info) : Napi::ObjectWrap<GsmCodec>(info) {
    encoder_.reset(gsm_create());
    decoder_.reset(gsm_create());
    if (!encoder_ || !decoder_) ThrowCoded(info.Env(), "error", "gsm: out of memory");
    plc_init(&plc_);
  }

 private:
  void EnsureOpen(Napi::Env env) const {
    if (!encoder_ || !decoder_) ThrowCoded(env, "closed", "gsm codec is closed");
  }

  Napi::Value Encode(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    EnsureOpen(env);
    Int16Input pcm = Int16Arg(info, 0, "pcm");
    if (pcm.length != kFrameSamples) throw Napi::TypeError::New(env, "pcm must hold 160 samples");
    // gsm_encode takes a non-const pointer: hand it a private copy, never the caller's memory.
    std::copy(pcm.data, pcm.data + kFrameSamples, scratch_.begin());
    auto out = OutputSlab::Bytes(env, kFrameBytes);
    gsm_encode(encoder_.get(), scratch_.data(), out.Data());
    return out;
  }

  Napi::Value Decode(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    EnsureOpen(env);
    if (info[0].IsNull() || info[0].IsUndefined()) {
      auto out = OutputSlab::Int16(env, kFrameSamples);
      plc_fillin(&plc_, out.Data(), static_cast<int>(kFrameSamples));
      return out;
    }
    BytesInput payload = BytesArg(info, 0, "payload");
    if (payload.length % kFrameBytes != 0) ThrowCoded(env, "bad-packet", "gsm payload must be 33-byte frames");
    size_t frames = payload.length / kFrameBytes;
    auto out = OutputSlab::Int16(env, frames * kFrameSamples);
    for (size_t i = 0; i < frames; i++) {
      std::array<gsm_byte, kFrameBytes> frame;
      std::copy(payload.data + i * kFrameBytes, payload.data + (i + 1) * kFrameBytes, frame.begin());
      if (gsm_decode(decoder_.get(), frame.data(), out.Data() + i * kFrameSamples) != 0) {
        ThrowCoded(env, "bad-packet", "gsm frame without its 0xD signature");
      }
    }
    if (frames > 0) plc_rx(&plc_, out.Data(), static_cast<int>(frames * kFrameSamples));
    return out;
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    encoder_.reset();
    decoder_.reset();
    return info.Env().Undefined();
  }

  GsmPtr encoder_;
  GsmPtr decoder_;
  std::array<gsm_signal, kFrameSamples> scratch_{};
  plc_state_t plc_{};
};

}  // namespace

void RegisterGsmCodec(Napi::Env env, Napi::Object exports) { GsmCodec::Register(env, exports); }

}  // namespace appel
