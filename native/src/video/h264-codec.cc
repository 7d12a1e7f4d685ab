// H.264 constrained baseline through OpenH264, set up for real-time calls: camera usage, bit-rate
// rate control, one thread, IDR frames on demand, parameter sets before every IDR.
// JS: new H264Encoder({ width, height, fps, bitrateKbps, keyFrameInterval, maxNalBytes })
//       .encode(i420: Uint8Array, keyFrame: boolean) -> [{ data, keyFrame }]   (Annex B)
//       .configure({ width?, height?, fps?, bitrateKbps? })   .close()
//     new H264Decoder().decode(annexB: Uint8Array, into?: Uint8Array) -> { width, height, data } | null   .close()
// maxNalBytes > 0 limits each slice's NAL unit (packetization-mode 0, RFC 6184 §6.2); 0 gives one
// slice per picture, to be split in FU-A fragments (mode 1, §5.8).
#include <wels/codec_api.h>

#include <vector>

#include "../addon.h"
#include "video.h"

namespace appel {
namespace {

class H264Encoder : public Napi::ObjectWrap<H264Encoder> {
 public:
  static void Register(Napi::Env env, Napi::Object exports) {
    exports.Set("H264Encoder", DefineClass(env, "H264Encoder",
                                           {InstanceMethod<&H264Encoder::Encode>("encode"),
                                            InstanceMethod<&H264Encoder::Configure>("configure"),
                                            InstanceMethod<&H264Encoder::Close>("close")}));
  }

  explicit H264Encoder(const Napi::CallbackInfo& info) : Napi::ObjectWrap<H264Encoder>(info) {
    settings_ = ReadSettings(OptionsArg(info));
    Open(info.Env());
  }

  ~H264Encoder() override { Release(); }

 private:
  void Open(Napi::Env env) {
    if (WelsCreateSVCEncoder(&encoder_) != 0 || encoder_ == nullptr) ThrowCoded(env, "error", "h264: cannot create an encoder");
    // Errors come back as return codes; OpenH264's own log would only reach the process's stderr.
    int quiet = WELS_LOG_QUIET;
    encoder_->SetOption(ENCODER_OPTION_TRACE_LEVEL, &quiet);
    SEncParamExt p;
    encoder_->GetDefaultParams(&p);
    p.iUsageType = CAMERA_VIDEO_REAL_TIME;
    p.iPicWidth = settings_.width;
    p.iPicHeight = settings_.height;
    p.iTargetBitrate = settings_.bitrateKbps * 1000;
    p.iMaxBitrate = settings_.bitrateKbps * 1000 * 3 / 2;
    p.iRCMode = RC_BITRATE_MODE;
    p.fMaxFrameRate = static_cast<float>(settings_.fps);
    p.bEnableFrameSkip = false;
    p.iSpatialLayerNum = 1;
    p.iTemporalLayerNum = 1;
    p.uiIntraPeriod = static_cast<unsigned>(settings_.keyFrameInterval);
    p.eSpsPpsIdStrategy = CONSTANT_ID;
    p.bPrefixNalAddingCtrl = false;
    p.iMultipleThreadIdc = 1;
    p.iEntropyCodingModeFlag = 0;  // CAVLC: constrained baseline (profile-level-id 42e0xx)
    p.bEnableDenoise = false;
    p.bEnableSceneChangeDetect = true;
    p.bEnableBackgroundDetection = true;
    p.bEnableAdaptiveQuant = true;
    p.bEnableLongTermReference = false;
    p.iLoopFilterDisableIdc = 0;
    SSpatialLayerConfig& layer = p.sSpatialLayers[0];
    layer.iVideoWidth = settings_.width;
    layer.iVideoHeight = settings_.height;
    layer.fFrameRate = static_cast<float>(settings_.fps);
    layer.iSpatialBitrate = p.iTargetBitrate;
    layer.iMaxSpatialBitrate = p.iMaxBitrate;
    layer.uiProfileIdc = PRO_BASELINE;
    if (settings_.maxNalBytes > 0) {
      layer.sSliceArgument.uiSliceMode = SM_SIZELIMITED_SLICE;
      layer.sSliceArgument.uiSliceSizeConstraint = static_cast<unsigned>(settings_.maxNalBytes);
      p.uiMaxNalSize = static_cast<unsigned>(settings_.maxNalBytes);
    } else {
      layer.sSliceArgument.uiSliceMode = SM_SINGLE_SLICE;
    }
    if (encoder_->InitializeExt(&p) != cmResultSuccess) {
      Release();
      ThrowCoded(env, "error", "h264: the encoder refused its settings (" + std::to_string(settings_.width) + "x" +
                                   std::to_string(settings_.height) + ")");
    }
    int format = videoFormatI420;
    encoder_->SetOption(ENCODER_OPTION_DATAFORMAT, &format);
    timestampMs_ = 0;
  }

  void Release() {
    if (encoder_ != nullptr) {
      encoder_->Uninitialize();
      WelsDestroySVCEncoder(encoder_);
    }
    encoder_ = nullptr;
  }

  void EnsureOpen(Napi::Env env) const {
    if (encoder_ == nullptr) ThrowCoded(env, "closed", "h264 encoder is closed");
  }

  Napi::Value Encode(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    EnsureOpen(env);
    const uint8_t* data = FrameArg(info, 0, settings_.width, settings_.height);
    const bool keyFrame = info[1].IsBoolean() && info[1].As<Napi::Boolean>().Value();
    if (keyFrame) encoder_->ForceIntraFrame(true);
    const int w = settings_.width;
    const int h = settings_.height;
    const int cw = (w + 1) / 2;
    SSourcePicture pic{};
    pic.iColorFormat = videoFormatI420;
    pic.iPicWidth = w;
    pic.iPicHeight = h;
    pic.iStride[0] = w;
    pic.iStride[1] = cw;
    pic.iStride[2] = cw;
    pic.pData[0] = const_cast<uint8_t*>(data);
    pic.pData[1] = pic.pData[0] + static_cast<size_t>(w) * static_cast<size_t>(h);
    pic.pData[2] = pic.pData[1] + static_cast<size_t>(cw) * static_cast<size_t>((h + 1) / 2);
    pic.uiTimeStamp = static_cast<long long>(timestampMs_);
    timestampMs_ += 1000.0 / settings_.fps;
    SFrameBSInfo bs{};
    if (encoder_->EncodeFrame(&pic, &bs) != cmResultSuccess) ThrowCoded(env, "error", "h264: encoding failed");
    auto out = Napi::Array::New(env);
    if (bs.eFrameType == videoFrameTypeSkip || bs.eFrameType == videoFrameTypeInvalid) return out;
    buffer_.clear();
    for (int l = 0; l < bs.iLayerNum; l++) {
      const SLayerBSInfo& layer = bs.sLayerInfo[l];
      size_t size = 0;
      for (int n = 0; n < layer.iNalCount; n++) size += static_cast<size_t>(layer.pNalLengthInByte[n]);
      buffer_.insert(buffer_.end(), layer.pBsBuf, layer.pBsBuf + size);
    }
    out.Set(0u, EncodedFrame(env, buffer_.data(), buffer_.size(), bs.eFrameType == videoFrameTypeIDR));
    return out;
  }

  // Bit rate and frame rate change in place; a new size starts a new encoder (its first frame is an IDR).
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
    SBitrateInfo bitrate{};
    bitrate.iLayer = SPATIAL_LAYER_ALL;
    bitrate.iBitrate = settings_.bitrateKbps * 1000;
    encoder_->SetOption(ENCODER_OPTION_BITRATE, &bitrate);
    SBitrateInfo maxBitrate{};
    maxBitrate.iLayer = SPATIAL_LAYER_ALL;
    maxBitrate.iBitrate = settings_.bitrateKbps * 1000 * 3 / 2;
    encoder_->SetOption(ENCODER_OPTION_MAX_BITRATE, &maxBitrate);
    float fps = static_cast<float>(settings_.fps);
    encoder_->SetOption(ENCODER_OPTION_FRAME_RATE, &fps);
    return env.Undefined();
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    Release();
    return info.Env().Undefined();
  }

  VideoSettings settings_;
  ISVCEncoder* encoder_ = nullptr;
  double timestampMs_ = 0;
  std::vector<uint8_t> buffer_;
};

class H264Decoder : public Napi::ObjectWrap<H264Decoder> {
 public:
  static void Register(Napi::Env env, Napi::Object exports) {
    exports.Set("H264Decoder", DefineClass(env, "H264Decoder",
                                           {InstanceMethod<&H264Decoder::Decode>("decode"),
                                            InstanceMethod<&H264Decoder::Close>("close")}));
  }

  explicit H264Decoder(const Napi::CallbackInfo& info) : Napi::ObjectWrap<H264Decoder>(info) {
    if (WelsCreateDecoder(&decoder_) != 0 || decoder_ == nullptr) ThrowCoded(info.Env(), "error", "h264: cannot create a decoder");
    int quiet = WELS_LOG_QUIET;
    decoder_->SetOption(DECODER_OPTION_TRACE_LEVEL, &quiet);
    SDecodingParam p{};
    p.sVideoProperty.eVideoBsType = VIDEO_BITSTREAM_AVC;
    p.eEcActiveIdc = ERROR_CON_DISABLE;  // a broken picture is reported, not shown half-concealed
    if (decoder_->Initialize(&p) != cmResultSuccess) {
      WelsDestroyDecoder(decoder_);
      decoder_ = nullptr;
      ThrowCoded(info.Env(), "error", "h264: the decoder refused its settings");
    }
  }

  ~H264Decoder() override { Release(); }

 private:
  void Release() {
    if (decoder_ != nullptr) {
      decoder_->Uninitialize();
      WelsDestroyDecoder(decoder_);
    }
    decoder_ = nullptr;
  }

  // One access unit (Annex B: start codes before each NAL unit). A picture that cannot be decoded
  // (it refers to a lost one) throws 'bad-packet': the caller asks for a key frame.
  Napi::Value Decode(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (decoder_ == nullptr) ThrowCoded(env, "closed", "h264 decoder is closed");
    BytesInput au = BytesArg(info, 0, "frame");
    unsigned char* planes[3] = {nullptr, nullptr, nullptr};
    SBufferInfo out{};
    DECODING_STATE state = decoder_->DecodeFrameNoDelay(au.data, static_cast<int>(au.length), planes, &out);
    if (state != dsErrorFree) ThrowCoded(env, "bad-packet", "h264: the picture cannot be decoded (state " + std::to_string(state) + ")");
    if (out.iBufferStatus != 1) return env.Null();
    const int w = out.UsrData.sSystemBuffer.iWidth;
    const int h = out.UsrData.sSystemBuffer.iHeight;
    const uint8_t* src[3] = {planes[0], planes[1], planes[2]};
    const int strides[3] = {out.UsrData.sSystemBuffer.iStride[0], out.UsrData.sSystemBuffer.iStride[1], out.UsrData.sSystemBuffer.iStride[1]};
    return DecodedFrame(env, w, h, PackI420(info, 1, w, h, src, strides));
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    Release();
    return info.Env().Undefined();
  }

  ISVCDecoder* decoder_ = nullptr;
};

}  // namespace

void RegisterH264Codec(Napi::Env env, Napi::Object exports) {
  H264Encoder::Register(env, exports);
  H264Decoder::Register(env, exports);
}

}  // namespace appel
