// OpusCodec: libopus encoder + decoder for one mono stream (RFC 6716; RTP payload per RFC 7587).
// JS: new OpusCodec({ sampleRate, bitrate?, complexity?, fec?, dtx?, packetLossPercent? })
//     .encode(Int16Array) -> Uint8Array   .decode(Uint8Array | null) -> Int16Array
//     .decodeFec(Uint8Array) -> Int16Array   .close()
#include <opus.h>

#include <vector>

#include "addon.h"

namespace appel {
namespace {

using EncoderPtr = std::unique_ptr<OpusEncoder, Deleter<opus_encoder_destroy>>;
using DecoderPtr = std::unique_ptr<OpusDecoder, Deleter<opus_decoder_destroy>>;

// RFC 6716 §3.2.1: one frame carries at most 1275 bytes; one packet up to 120 ms of audio.
constexpr size_t kMaxPacketBytes = 1275 + 3;
constexpr int kMaxPacketMs = 120;

class OpusCodec : public Napi::ObjectWrap<OpusCodec> {
 public:
  static void Register(Napi::Env env, Napi::Object exports) {
    exports.Set("OpusCodec",
                DefineClass(env, "OpusCodec",
                            {InstanceMethod<&OpusCodec::Encode>("encode"),
                             InstanceMethod<&OpusCodec::Decode>("decode"),
                             InstanceMethod<&OpusCodec::DecodeFec>("decodeFec"),
                             InstanceMethod<&OpusCodec::Close>("close")}));
  }

  explicit OpusCodec(const Napi::CallbackInfo& info) : Napi::ObjectWrap<OpusCodec>(info) {
    Napi::Env env = info.Env();
    Napi::Object o = OptionsArg(info);
    sampleRate_ = static_cast<int>(NumberOption(o, "sampleRate", 48000));
    frameSamples_ = sampleRate_ / 50;

    int err = OPUS_OK;
    encoder_.reset(opus_encoder_create(sampleRate_, 1, OPUS_APPLICATION_VOIP, &err));
    if (err != OPUS_OK || !encoder_) ThrowCoded(env, "error", std::string("opus encoder: ") + opus_strerror(err));
    decoder_.reset(opus_decoder_create(sampleRate_, 1, &err));
    if (err != OPUS_OK || !decoder_) ThrowCoded(env, "error", std::string("opus decoder: ") + opus_strerror(err));

    OpusEncoder* enc = encoder_.get();
    Napi::Value bitrate = o.Get("bitrate");
    if (bitrate.IsNumber()) Check(env, opus_encoder_ctl(enc, OPUS_SET_BITRATE(bitrate.As<Napi::Number>().Int32Value())));
    Napi::Value complexity = o.Get("complexity");
    if (complexity.IsNumber()) {
      Check(env, opus_encoder_ctl(enc, OPUS_SET_COMPLEXITY(complexity.As<Napi::Number>().Int32Value())));
    }
    Check(env, opus_encoder_ctl(enc, OPUS_SET_INBAND_FEC(BoolOption(o, "fec", false) ? 1 : 0)));
    Check(env, opus_encoder_ctl(enc, OPUS_SET_DTX(BoolOption(o, "dtx", false) ? 1 : 0)));
    Check(env, opus_encoder_ctl(enc, OPUS_SET_PACKET_LOSS_PERC(static_cast<int>(NumberOption(o, "packetLossPercent", 0)))));
    Check(env, opus_encoder_ctl(enc, OPUS_SET_SIGNAL(OPUS_SIGNAL_VOICE)));

    packet_.resize(kMaxPacketBytes);
    pcm_.resize(static_cast<size_t>(sampleRate_ / 1000 * kMaxPacketMs));
  }

 private:
  static void Check(Napi::Env env, int status) {
    if (status != OPUS_OK) ThrowCoded(env, "error", std::string("opus: ") + opus_strerror(status));
  }

  void EnsureOpen(Napi::Env env) const {
    if (!encoder_ || !decoder_) ThrowCoded(env, "closed", "opus codec is closed");
  }

  Napi::Value Encode(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    EnsureOpen(env);
    Int16Input pcm = Int16Arg(info, 0, "pcm");
    if (pcm.length != static_cast<size_t>(frameSamples_)) {
      throw Napi::TypeError::New(env, "pcm must hold " + std::to_string(frameSamples_) + " samples");
    }
    opus_int32 n = opus_encode(encoder_.get(), pcm.data, frameSamples_, packet_.data(),
                               static_cast<opus_int32>(packet_.size()));
    if (n < 0) ThrowCoded(env, "error", std::string("opus_encode: ") + opus_strerror(n));
    return SlabBytes(env, packet_.data(), static_cast<size_t>(n));
  }

  // decode(null) or an empty payload: the packet was lost, so libopus conceals one frame (PLC).
  Napi::Value Decode(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    EnsureOpen(env);
    if (info[0].IsNull() || info[0].IsUndefined()) return DecodeInto(env, nullptr, 0, frameSamples_, 0);
    BytesInput payload = BytesArg(info, 0, "payload");
    if (payload.length == 0) return DecodeInto(env, nullptr, 0, frameSamples_, 0);
    return DecodeInto(env, payload.data, payload.length, static_cast<int>(pcm_.size()), 0);
  }

  // RFC 6716 §2.1.7: the packet after a loss may carry an LBRR copy of the lost frame.
  Napi::Value DecodeFec(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    EnsureOpen(env);
    BytesInput next = BytesArg(info, 0, "nextPayload");
    if (next.length == 0) return DecodeInto(env, nullptr, 0, frameSamples_, 0);
    return DecodeInto(env, next.data, next.length, frameSamples_, 1);
  }

  Napi::Value DecodeInto(Napi::Env env, const uint8_t* data, size_t length, int maxSamples, int fec) {
    int n = opus_decode(decoder_.get(), data, static_cast<opus_int32>(length), pcm_.data(), maxSamples, fec);
    if (n < 0) ThrowCoded(env, "bad-packet", std::string("opus_decode: ") + opus_strerror(n));
    return SlabInt16(env, pcm_.data(), static_cast<size_t>(n));
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    encoder_.reset();
    decoder_.reset();
    return info.Env().Undefined();
  }

  int sampleRate_ = 48000;
  int frameSamples_ = 960;
  EncoderPtr encoder_;
  DecoderPtr decoder_;
  std::vector<uint8_t> packet_;
  std::vector<opus_int16> pcm_;
};

}  // namespace

void RegisterOpusCodec(Napi::Env env, Napi::Object exports) { OpusCodec::Register(env, exports); }

}  // namespace appel
