// VP8 through libvpx, set up for real-time calls: one pass, no look-ahead (every frame comes out
// of encode() at once), constant bit rate, error resilient, one thread.
// JS: new Vp8Encoder({ width, height, fps, bitrateKbps, keyFrameInterval })
//       .encode(i420: Uint8Array, keyFrame: boolean) -> [{ data, keyFrame }]
//       .configure({ width?, height?, fps?, bitrateKbps? })   .close()
//     new Vp8Decoder().decode(frame: Uint8Array, into?: Uint8Array) -> { width, height, data } | null   .close()
#include <vpx/vp8cx.h>
#include <vpx/vp8dx.h>
#include <vpx/vpx_decoder.h>
#include <vpx/vpx_encoder.h>

#include "../addon.h"
#include "video.h"

namespace appel {
namespace {

[[noreturn]] void Fail(Napi::Env env, const char* code, const char* what, vpx_codec_ctx_t* ctx) {
  std::string detail = ctx != nullptr ? vpx_codec_error(ctx) : "";
  const char* more = ctx != nullptr ? vpx_codec_error_detail(ctx) : nullptr;
  if (more != nullptr) detail += std::string(" (") + more + ")";
  ThrowCoded(env, code, std::string("vp8 ") + what + ": " + detail);
}

class Vp8Encoder : public Napi::ObjectWrap<Vp8Encoder> {
 public:
  static void Register(Napi::Env env, Napi::Object exports) {
    exports.Set("Vp8Encoder", DefineClass(env, "Vp8Encoder",
                                          {InstanceMethod<&Vp8Encoder::Encode>("encode"),
                                           InstanceMethod<&Vp8Encoder::Configure>("configure"),
                                           InstanceMethod<&Vp8Encoder::Close>("close")}));
  }

  explicit Vp8Encoder(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Vp8Encoder>(info) {
    settings_ = ReadSettings(OptionsArg(info));
    Open(info.Env());
  }

  ~Vp8Encoder() override { Release(); }

 private:
  void Open(Napi::Env env) {
    vpx_codec_enc_cfg_t cfg;
    if (vpx_codec_enc_config_default(vpx_codec_vp8_cx(), &cfg, 0) != VPX_CODEC_OK) Fail(env, "error", "config", nullptr);
    cfg.g_w = static_cast<unsigned>(settings_.width);
    cfg.g_h = static_cast<unsigned>(settings_.height);
    cfg.g_timebase = {1, 90000};  // the RTP video clock (RFC 7741 §4.1)
    cfg.g_threads = 1;
    cfg.g_lag_in_frames = 0;
    cfg.g_pass = VPX_RC_ONE_PASS;
    cfg.g_error_resilient = VPX_ERROR_RESILIENT_DEFAULT;
    cfg.rc_end_usage = VPX_CBR;
    cfg.rc_target_bitrate = static_cast<unsigned>(settings_.bitrateKbps);
    cfg.rc_min_quantizer = 2;
    cfg.rc_max_quantizer = 56;
    cfg.rc_undershoot_pct = 100;
    cfg.rc_overshoot_pct = 15;
    cfg.rc_buf_initial_sz = 500;
    cfg.rc_buf_optimal_sz = 600;
    cfg.rc_buf_sz = 1000;
    cfg.rc_dropframe_thresh = 0;
    cfg.kf_mode = settings_.keyFrameInterval > 0 ? VPX_KF_AUTO : VPX_KF_DISABLED;
    cfg.kf_min_dist = 0;
    cfg.kf_max_dist = static_cast<unsigned>(settings_.keyFrameInterval > 0 ? settings_.keyFrameInterval : 0);
    if (vpx_codec_enc_init(&ctx_, vpx_codec_vp8_cx(), &cfg, 0) != VPX_CODEC_OK) Fail(env, "error", "encoder", &ctx_);
    open_ = true;
    cfg_ = cfg;
    // Real-time speed (libvpx's own guidance for calls: -6 .. -8 on a desktop).
    vpx_codec_control(&ctx_, VP8E_SET_CPUUSED, -6);
    vpx_codec_control(&ctx_, VP8E_SET_STATIC_THRESHOLD, 1);
    vpx_codec_control(&ctx_, VP8E_SET_NOISE_SENSITIVITY, 0);
    vpx_codec_control(&ctx_, VP8E_SET_TOKEN_PARTITIONS, VP8_ONE_TOKENPARTITION);
    vpx_codec_control(&ctx_, VP8E_SET_MAX_INTRA_BITRATE_PCT, 300);
    pts_ = 0;
  }

  void Release() {
    if (open_) vpx_codec_destroy(&ctx_);
    open_ = false;
  }

  void EnsureOpen(Napi::Env env) const {
    if (!open_) ThrowCoded(env, "closed", "vp8 encoder is closed");
  }

  Napi::Value Encode(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    EnsureOpen(env);
    const uint8_t* data = FrameArg(info, 0, settings_.width, settings_.height);
    const bool keyFrame = info[1].IsBoolean() && info[1].As<Napi::Boolean>().Value();
    vpx_image_t img;
    if (vpx_img_wrap(&img, VPX_IMG_FMT_I420, static_cast<unsigned>(settings_.width), static_cast<unsigned>(settings_.height), 1,
                     const_cast<uint8_t*>(data)) == nullptr) {
      Fail(env, "error", "image", nullptr);
    }
    const auto duration = static_cast<unsigned long>(90000.0 / settings_.fps);
    if (vpx_codec_encode(&ctx_, &img, pts_, duration, keyFrame ? VPX_EFLAG_FORCE_KF : 0, VPX_DL_REALTIME) != VPX_CODEC_OK) {
      Fail(env, "error", "encode", &ctx_);
    }
    pts_ += duration;
    auto out = Napi::Array::New(env);
    vpx_codec_iter_t iter = nullptr;
    const vpx_codec_cx_pkt_t* pkt;
    uint32_t n = 0;
    while ((pkt = vpx_codec_get_cx_data(&ctx_, &iter)) != nullptr) {
      if (pkt->kind != VPX_CODEC_CX_FRAME_PKT) continue;
      out.Set(n++, EncodedFrame(env, static_cast<const uint8_t*>(pkt->data.frame.buf), pkt->data.frame.sz,
                                (pkt->data.frame.flags & VPX_FRAME_IS_KEY) != 0));
    }
    return out;
  }

  // Bit rate and frame rate change in place; a new size starts a new encoder (its first frame is a key frame).
  Napi::Value Configure(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    EnsureOpen(env);
    VideoSettings next = ReadSettings(OptionsArg(info), settings_);
    const bool resized = next.width != settings_.width || next.height != settings_.height;
    settings_ = next;
    if (resized) {
      Release();
      Open(env);
      return env.Undefined();
    }
    cfg_.rc_target_bitrate = static_cast<unsigned>(settings_.bitrateKbps);
    if (vpx_codec_enc_config_set(&ctx_, &cfg_) != VPX_CODEC_OK) Fail(env, "error", "configure", &ctx_);
    return env.Undefined();
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    Release();
    return info.Env().Undefined();
  }

  VideoSettings settings_;
  vpx_codec_ctx_t ctx_{};
  vpx_codec_enc_cfg_t cfg_{};
  bool open_ = false;
  vpx_codec_pts_t pts_ = 0;
};

class Vp8Decoder : public Napi::ObjectWrap<Vp8Decoder> {
 public:
  static void Register(Napi::Env env, Napi::Object exports) {
    exports.Set("Vp8Decoder", DefineClass(env, "Vp8Decoder",
                                          {InstanceMethod<&Vp8Decoder::Decode>("decode"),
                                           InstanceMethod<&Vp8Decoder::Close>("close")}));
  }

  explicit Vp8Decoder(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Vp8Decoder>(info) {
    vpx_codec_dec_cfg_t cfg{};
    cfg.threads = 1;
    if (vpx_codec_dec_init(&ctx_, vpx_codec_vp8_dx(), &cfg, 0) != VPX_CODEC_OK) Fail(info.Env(), "error", "decoder", &ctx_);
    open_ = true;
  }

  ~Vp8Decoder() override {
    if (open_) vpx_codec_destroy(&ctx_);
  }

 private:
  // A corrupt or undecodable frame (one that refers to a lost one) throws 'bad-packet': the caller
  // asks for a key frame (RFC 4585 PLI) and drops frames until it comes.
  Napi::Value Decode(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!open_) ThrowCoded(env, "closed", "vp8 decoder is closed");
    BytesInput frame = BytesArg(info, 0, "frame");
    if (vpx_codec_decode(&ctx_, frame.data, static_cast<unsigned>(frame.length), nullptr, 0) != VPX_CODEC_OK) {
      Fail(env, "bad-packet", "decode", &ctx_);
    }
    vpx_codec_iter_t iter = nullptr;
    vpx_image_t* img = vpx_codec_get_frame(&ctx_, &iter);
    if (img == nullptr) return env.Null();
    const uint8_t* planes[3] = {img->planes[VPX_PLANE_Y], img->planes[VPX_PLANE_U], img->planes[VPX_PLANE_V]};
    const int strides[3] = {img->stride[VPX_PLANE_Y], img->stride[VPX_PLANE_U], img->stride[VPX_PLANE_V]};
    const int w = static_cast<int>(img->d_w);
    const int h = static_cast<int>(img->d_h);
    return DecodedFrame(env, w, h, PackI420(info, 1, w, h, planes, strides));
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    if (open_) vpx_codec_destroy(&ctx_);
    open_ = false;
    return info.Env().Undefined();
  }

  vpx_codec_ctx_t ctx_{};
  bool open_ = false;
};

}  // namespace

void RegisterVp8Codec(Napi::Env env, Napi::Object exports) {
  Vp8Encoder::Register(env, exports);
  Vp8Decoder::Register(env, exports);
}

}  // namespace appel
