// appel_video.node: the video codecs (VP8 through libvpx, H.264 through OpenH264), a separate
// addon from the audio one so an audio-only engine never maps the video libraries.
#include <vpx/vpx_codec.h>
#include <wels/codec_ver.h>

#include "video.h"

namespace appel {
namespace {

Napi::Value Versions(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto v = Napi::Object::New(env);
  v.Set("vpx", Napi::String::New(env, vpx_codec_version_str()));
  v.Set("openh264", Napi::String::New(env, std::to_string(OPENH264_MAJOR) + "." + std::to_string(OPENH264_MINOR) + "." +
                                                std::to_string(OPENH264_REVISION)));
  return v;
}

}  // namespace
}  // namespace appel

static Napi::Object InitAppelVideo(Napi::Env env, Napi::Object exports) {
  appel::RegisterVp8Codec(env, exports);
  appel::RegisterH264Codec(env, exports);
  exports.Set("versions", Napi::Function::New(env, appel::Versions, "versions"));
  return exports;
}

NODE_API_MODULE(appel_video, InitAppelVideo)
