// G722Codec: ITU-T G.722 at 64 kbit/s through spandsp; 16 kHz PCM, 320 samples -> 160 bytes per
// 20 ms. The RTP clock stays 8000 Hz (RFC 3551 §4.5.2). Lost packets are concealed with spandsp's
// PLC run on the 16 kHz signal (its pitch search then spans 133-400 Hz; good enough to bridge a gap).
// JS: new G722Codec({}) .encode(Int16Array) .decode(Uint8Array | null) .close()
#include "addon.h"  // first: spandsp headers expect <stdint.h> types already declared

#include <spandsp/telephony.h>
#include <spandsp/g722.h>
#include <spandsp/plc.h>

namespace appel {
namespace {

using EncoderPtr = std::unique_ptr<g722_encode_state_t, Deleter<g722_encode_free>>;
using DecoderPtr = std::unique_ptr<g722_decode_state_t, Deleter<g722_decode_free>>;

constexpr size_t kFrameSamples = 320;  // 20 ms at 16 kHz
constexpr size_t kFrameBytes = 160;

class G722Codec : public Napi::ObjectWrap<G722Codec> {
 public:
  static void Register(Napi::Env env, Napi::Object exports) {
    exports.Set("G722Codec", DefineClass(env, "G722Codec",
                                         {InstanceMethod<&G722Codec::Encode>("encode"),
                                          InstanceMethod<&G722Codec::Decode>("decode"),
                                          InstanceMethod<&G722Codec::Close>("close")}));
  }

  explicit G722Codec(const Napi::CallbackInfo& info) : Napi::ObjectWrap<G722Codec>(info) {
    encoder_.reset(g722_encode_init(nullptr, 64000, 0));
    decoder_.reset(g722_decode_init(nullptr, 64000, 0));
    if (!encoder_ || !decoder_) ThrowCoded(info.Env(), "error", "g722: out of memory");
    plc_init(&plc_);
  }

 private:
  void EnsureOpen(Napi::Env env) const {
    if (!encoder_ || !decoder_) ThrowCoded(env, "closed", "g722 codec is closed");
  }

  Napi::Value Encode(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    EnsureOpen(env);
    Int16Input pcm = Int16Arg(info, 0, "pcm");
    if (pcm.length != kFrameSamples) throw Napi::TypeError::New(env, "pcm must hold 320 samples");
    auto out = OutputSlab::Bytes(env, kFrameBytes);
    g722_encode(encoder_.get(), out.Data(), pcm.data, static_cast<int>(kFrameSamples));
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
    auto out = OutputSlab::Int16(env, payload.length * 2);
    int n = g722_decode(decoder_.get(), out.Data(), payload.data, static_cast<int>(payload.length));
    if (n > 0) plc_rx(&plc_, out.Data(), n);
    return out;
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    encoder_.reset();
    decoder_.reset();
    return info.Env().Undefined();
  }

  EncoderPtr encoder_;
  DecoderPtr decoder_;
  plc_state_t plc_{};
};

}  // namespace

void RegisterG722Codec(Napi::Env env, Napi::Object exports) { G722Codec::Register(env, exports); }

}  // namespace appel
