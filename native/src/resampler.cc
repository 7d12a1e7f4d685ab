// Resampler: libspeexdsp's polyphase resampler for one mono int16 stream. It keeps its filter
// history between calls, so a stream cut into 20 ms frames comes out seamless.
// JS: new Resampler({ from, to, quality }) .process(Int16Array) -> Int16Array .close()
//     .inputLatency (samples at `from`), .outputLatency (samples at `to`)
#include <speex/speex_resampler.h>

#include <vector>

#include "addon.h"

namespace appel {
namespace {

using ResamplerPtr = std::unique_ptr<SpeexResamplerState, Deleter<speex_resampler_destroy>>;

class Resampler : public Napi::ObjectWrap<Resampler> {
 public:
  static void Register(Napi::Env env, Napi::Object exports) {
    exports.Set("Resampler", DefineClass(env, "Resampler",
                                         {InstanceMethod<&Resampler::Process>("process"),
                                          InstanceMethod<&Resampler::Close>("close"),
                                          InstanceAccessor<&Resampler::InputLatency>("inputLatency"),
                                          InstanceAccessor<&Resampler::OutputLatency>("outputLatency")}));
  }

  explicit Resampler(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Resampler>(info) {
    Napi::Object o = OptionsArg(info);
    from_ = static_cast<spx_uint32_t>(NumberOption(o, "from", 0));
    to_ = static_cast<spx_uint32_t>(NumberOption(o, "to", 0));
    int quality = static_cast<int>(NumberOption(o, "quality", 5));
    int err = RESAMPLER_ERR_SUCCESS;
    state_.reset(speex_resampler_init(1, from_, to_, quality, &err));
    if (err != RESAMPLER_ERR_SUCCESS || !state_) {
      ThrowCoded(info.Env(), "error", std::string("speex_resampler_init: ") + speex_resampler_strerror(err));
    }
  }

 private:
  void EnsureOpen(Napi::Env env) const {
    if (!state_) ThrowCoded(env, "closed", "resampler is closed");
  }

  Napi::Value Process(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    EnsureOpen(env);
    Int16Input pcm = Int16Arg(info, 0, "pcm");
    // Room for every output sample the input can give, plus one for the fractional phase.
    size_t capacity = static_cast<size_t>((static_cast<uint64_t>(pcm.length) * to_ + from_ - 1) / from_) + 1;
    if (out_.size() < capacity) out_.resize(capacity);
    spx_uint32_t inLen = static_cast<spx_uint32_t>(pcm.length);
    spx_uint32_t outLen = static_cast<spx_uint32_t>(capacity);
    int err = speex_resampler_process_int(state_.get(), 0, pcm.data, &inLen, out_.data(), &outLen);
    if (err != RESAMPLER_ERR_SUCCESS) {
      ThrowCoded(env, "error", std::string("speex_resampler_process_int: ") + speex_resampler_strerror(err));
    }
    return SlabInt16(env, out_.data(), outLen);
  }

  Napi::Value InputLatency(const Napi::CallbackInfo& info) {
    EnsureOpen(info.Env());
    return Napi::Number::New(info.Env(), speex_resampler_get_input_latency(state_.get()));
  }

  Napi::Value OutputLatency(const Napi::CallbackInfo& info) {
    EnsureOpen(info.Env());
    return Napi::Number::New(info.Env(), speex_resampler_get_output_latency(state_.get()));
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    state_.reset();
    return info.Env().Undefined();
  }

  spx_uint32_t from_ = 0;
  spx_uint32_t to_ = 0;
  ResamplerPtr state_;
  std::vector<spx_int16_t> out_;
};

}  // namespace

void RegisterResampler(Napi::Env env, Napi::Object exports) { Resampler::Register(env, exports); }

}  // namespace appel
