// G729Codec: ITU-T G.729 (Annex A compatible) through bcg729; 8 kHz, 10 ms sub-frames of 80 samples
// -> 10 bytes, so 20 ms = 2 x 10 bytes. RFC 3551 §4.5.6: a payload is N 10-byte frames, optionally
// ended by one 2-byte Annex B SID frame. Loss is concealed by bcg729's own frame-erasure PLC.
// JS: new G729Codec({}) .encode(Int16Array) .decode(Uint8Array | null) .close()
extern "C" {
#include <bcg729/decoder.h>
#include <bcg729/encoder.h>
}

#include "addon.h"

namespace appel {
namespace {

using EncoderPtr = std::unique_ptr<bcg729EncoderChannelContextStruct, Deleter<closeBcg729EncoderChannel>>;
using DecoderPtr = std::unique_ptr<bcg729DecoderChannelContextStruct, Deleter<closeBcg729DecoderChannel>>;

constexpr size_t kSubFrameSamples = 80;
constexpr size_t kSubFrameBytes = 10;
constexpr size_t kSidBytes = 2;
constexpr size_t kFrameSamples = 160;  // 20 ms

class G729Codec : public Napi::ObjectWrap<G729Codec> {
 public:
  static void Register(Napi::Env env, Napi::Object exports) {
    exports.Set("G729Codec", DefineClass(env, "G729Codec",
                                         {InstanceMethod<&G729Codec::Encode>("encode"),
                                          InstanceMethod<&G729Codec::Decode>("decode"),
                                          InstanceMethod<&G729Codec::Close>("close")}));
  }

  explicit G729Codec(const Napi::CallbackInfo& info) : Napi::ObjectWrap<G729Codec>(info) {
    encoder_.reset(initBcg729EncoderChannel(0));  // no VAD: every 10 ms gives a full frame
    decoder_.reset(initBcg729DecoderChannel());
    if (!encoder_ || !decoder_) ThrowCoded(info.Env(), "error", "g729: out of memory");
  }

 private:
  void EnsureOpen(Napi::Env env) const {
    if (!encoder_ || !decoder_) ThrowCoded(env, "closed", "g729 codec is closed");
  }

  Napi::Value Encode(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    EnsureOpen(env);
    Int16Input pcm = Int16Arg(info, 0, "pcm");
    if (pcm.length != kFrameSamples) throw Napi::TypeError::New(env, "pcm must hold 160 samples");
    uint8_t bits[2 * kSubFrameBytes] = {};
    size_t total = 0;
    for (size_t sub = 0; sub < 2; sub++) {
      uint8_t len = 0;
      bcg729Encoder(encoder_.get(), pcm.data + sub * kSubFrameSamples, bits + total, &len);
      total += len;
    }
    return SlabBytes(env, bits, total);
  }

  Napi::Value Decode(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    EnsureOpen(env);
    if (info[0].IsNull() || info[0].IsUndefined()) {
      auto out = OutputSlab::Int16(env, kFrameSamples);
      const uint8_t none[kSubFrameBytes] = {};
      for (size_t sub = 0; sub < 2; sub++) {
        bcg729Decoder(decoder_.get(), none, kSubFrameBytes, 1, 0, 0, out.Data() + sub * kSubFrameSamples);
      }
      return out;
    }
    BytesInput payload = BytesArg(info, 0, "payload");
    size_t frames = payload.length / kSubFrameBytes;
    size_t rest = payload.length % kSubFrameBytes;
    if (rest != 0 && rest != kSidBytes) {
      ThrowCoded(env, "bad-packet", "g729 payload must be 10-byte frames plus an optional 2-byte SID");
    }
    auto out = OutputSlab::Int16(env, (frames + (rest ? 1 : 0)) * kSubFrameSamples);
    for (size_t i = 0; i < frames; i++) {
      bcg729Decoder(decoder_.get(), payload.data + i * kSubFrameBytes, kSubFrameBytes, 0, 0, 0,
                    out.Data() + i * kSubFrameSamples);
    }
    if (rest == kSidBytes) {
      bcg729Decoder(decoder_.get(), payload.data + frames * kSubFrameBytes, kSidBytes, 0, 1, 0,
                    out.Data() + frames * kSubFrameSamples);
    }
    return out;
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    encoder_.reset();
    decoder_.reset();
    return info.Env().Undefined();
  }

  EncoderPtr encoder_;
  DecoderPtr decoder_;
};

}  // namespace

void RegisterG729Codec(Napi::Env env, Napi::Object exports) { G729Codec::Register(env, exports); }

}  // namespace appel
