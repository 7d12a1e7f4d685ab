// Shared by the video codecs of appel_video.node: frames cross the boundary as packed I420 (the
// Y plane, then U, then V, each without padding), the layout a y4m file, ffmpeg's rawvideo and
// the media engine use. The libraries' own strided planes are copied in and out here.
#pragma once

#include <napi.h>

#include <cstdint>
#include <cstring>
#include <string>

namespace appel {

/** Bytes of a packed I420 frame of `width` × `height` (even sizes; odd ones round the chroma up). */
inline size_t I420Size(int width, int height) {
  const size_t cw = static_cast<size_t>((width + 1) / 2);
  const size_t ch = static_cast<size_t>((height + 1) / 2);
  return static_cast<size_t>(width) * static_cast<size_t>(height) + 2 * cw * ch;
}

/**
 * Copies strided planes into packed I420: into `into` (argument `index`) when it is a Uint8Array of
 * exactly the frame's size, so a caller can hand the same buffers back frame after frame; else
 * into a new one (the first frame, or the size changed).
 */
inline Napi::Uint8Array PackI420(const Napi::CallbackInfo& info, size_t index, int width, int height, const uint8_t* const planes[3], const int strides[3]) {
  const size_t size = I420Size(width, height);
  Napi::Value given = info[index];
  Napi::Uint8Array out;
  if (given.IsTypedArray() && given.As<Napi::TypedArray>().TypedArrayType() == napi_uint8_array && given.As<Napi::Uint8Array>().ElementLength() == size) {
    out = given.As<Napi::Uint8Array>();
  } else {
    out = Napi::Uint8Array::New(info.Env(), size);
  }
  uint8_t* dst = out.Data();
  const int widths[3] = {width, (width + 1) / 2, (width + 1) / 2};
  const int heights[3] = {height, (height + 1) / 2, (height + 1) / 2};
  for (int p = 0; p < 3; p++) {
    for (int row = 0; row < heights[p]; row++) {
      std::memcpy(dst, planes[p] + static_cast<ptrdiff_t>(row) * strides[p], static_cast<size_t>(widths[p]));
      dst += widths[p];
    }
  }
  return out;
}

/** A decoded frame as JS sees it: { width, height, data } (packed I420). */
inline Napi::Object DecodedFrame(Napi::Env env, int width, int height, Napi::Uint8Array data) {
  auto frame = Napi::Object::New(env);
  frame.Set("width", Napi::Number::New(env, width));
  frame.Set("height", Napi::Number::New(env, height));
  frame.Set("data", data);
  return frame;
}

/** An encoded frame as JS sees it: { data, keyFrame }. */
inline Napi::Object EncodedFrame(Napi::Env env, const uint8_t* data, size_t length, bool keyFrame) {
  auto frame = Napi::Object::New(env);
  auto bytes = Napi::Uint8Array::New(env, length);
  if (length > 0) std::memcpy(bytes.Data(), data, length);
  frame.Set("data", bytes);
  frame.Set("keyFrame", Napi::Boolean::New(env, keyFrame));
  return frame;
}

/** What every encoder is made with and can be changed to while running. */
struct VideoSettings {
  int width = 640;
  int height = 480;
  double fps = 30;
  int bitrateKbps = 800;
  /** Frames between two key frames when none is asked for (0: only on demand). */
  int keyFrameInterval = 0;
  /** H.264 packetization-mode 0 (RFC 6184 §6.2): each NAL unit must fit one RTP packet. */
  int maxNalBytes = 0;
};

inline VideoSettings ReadSettings(Napi::Object o, VideoSettings s = {}) {
  auto num = [&](const char* key, double fallback) {
    Napi::Value v = o.Get(key);
    return v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : fallback;
  };
  s.width = static_cast<int>(num("width", s.width));
  s.height = static_cast<int>(num("height", s.height));
  s.fps = num("fps", s.fps);
  s.bitrateKbps = static_cast<int>(num("bitrateKbps", s.bitrateKbps));
  s.keyFrameInterval = static_cast<int>(num("keyFrameInterval", s.keyFrameInterval));
  s.maxNalBytes = static_cast<int>(num("maxNalBytes", s.maxNalBytes));
  return s;
}

/** The frame argument: a Uint8Array of exactly I420Size(width, height) bytes. */
inline const uint8_t* FrameArg(const Napi::CallbackInfo& info, size_t index, int width, int height) {
  Napi::Value v = info[index];
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    throw Napi::TypeError::New(info.Env(), "frame must be a Uint8Array");
  }
  auto a = v.As<Napi::Uint8Array>();
  if (a.ElementLength() != I420Size(width, height)) {
    throw Napi::TypeError::New(info.Env(), "frame must hold " + std::to_string(I420Size(width, height)) + " bytes (I420 " +
                                               std::to_string(width) + "x" + std::to_string(height) + ")");
  }
  return a.Data();
}

void RegisterVp8Codec(Napi::Env env, Napi::Object exports);
void RegisterH264Codec(Napi::Env env, Napi::Object exports);

}  // namespace appel
