// Shared helpers for the Appel native addon: one class per .cc file, each registered by addon.cc.
// index.ts validates every argument; these helpers still refuse a wrong type with a TypeError so a
// direct call can never crash the process.
#pragma once

#include <napi.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>

namespace appel {

/** unique_ptr deleter calling a C library's free function: unique_ptr<T, Deleter<free_fn>>. */
template <auto Free>
struct Deleter {
  template <typename T>
  void operator()(T* p) const noexcept {
    if (p != nullptr) Free(p);
  }
};

struct Int16Input {
  const int16_t* data;
  size_t length;
};

struct BytesInput {
  const uint8_t* data;
  size_t length;
};

/** The Int16Array argument `index` (named `name` in the TypeError). */
inline Int16Input Int16Arg(const Napi::CallbackInfo& info, size_t index, const char* name) {
  Napi::Value v = info[index];
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_int16_array) {
    throw Napi::TypeError::New(info.Env(), std::string(name) + " must be an Int16Array");
  }
  auto a = v.As<Napi::Int16Array>();
  return {a.Data(), a.ElementLength()};
}

/** The Uint8Array argument `index` (a Buffer is a Uint8Array too). */
inline BytesInput BytesArg(const Napi::CallbackInfo& info, size_t index, const char* name) {
  Napi::Value v = info[index];
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    throw Napi::TypeError::New(info.Env(), std::string(name) + " must be a Uint8Array");
  }
  auto a = v.As<Napi::Uint8Array>();
  return {a.Data(), a.ElementLength()};
}

inline Napi::Int16Array NewInt16(Napi::Env env, const int16_t* data, size_t length) {
  auto out = Napi::Int16Array::New(env, length);
  if (length > 0) std::memcpy(out.Data(), data, length * sizeof(int16_t));
  return out;
}

inline Napi::Uint8Array NewBytes(Napi::Env env, const uint8_t* data, size_t length) {
  auto out = Napi::Uint8Array::New(env, length);
  if (length > 0) std::memcpy(out.Data(), data, length);
  return out;
}

/**
 * Output arrays of the per-frame calls (encode, decode, resample), carved out of one 64 KB
 * ArrayBuffer per environment, as main/media/typed-slab.ts does in JS: an array of its own costs a
 * backing store (allocation, external-memory accounting, a finalizer for the garbage collector),
 * about twenty times a view. Each byte is handed out once, so a view is zeroed and never shared;
 * its `buffer` is the whole slab (copy before transferring it). For short-lived outputs only: a
 * view keeps its slab alive. The slab is the addon's instance data, so each worker has its own.
 */
class OutputSlab {
 public:
  static constexpr size_t kBytes = 64 * 1024;
  /** Longer outputs get an array of their own. */
  static constexpr size_t kMaxRequest = 4 * 1024;

  static Napi::Int16Array Int16(Napi::Env env, size_t length) {
    if (length * sizeof(int16_t) > kMaxRequest) return Napi::Int16Array::New(env, length);
    size_t at = Of(env).Take(env, length * sizeof(int16_t));
    return Napi::Int16Array::New(env, length, Of(env).buffer_.Value(), at);
  }

  static Napi::Uint8Array Bytes(Napi::Env env, size_t length) {
    if (length > kMaxRequest) return Napi::Uint8Array::New(env, length);
    size_t at = Of(env).Take(env, length);
    return Napi::Uint8Array::New(env, length, Of(env).buffer_.Value(), at);
  }

 private:
  static OutputSlab& Of(Napi::Env env) {
    auto* slab = env.GetInstanceData<OutputSlab>();
    if (slab == nullptr) {
      slab = new OutputSlab();
      env.SetInstanceData(slab);  // deleted with the environment
    }
    return *slab;
  }

  /** The offset of `bytes` fresh bytes in the current slab (a new slab when it is full). */
  size_t Take(Napi::Env env, size_t bytes) {
    if (buffer_.IsEmpty() || used_ + bytes > kBytes) {
      buffer_ = Napi::Persistent(Napi::ArrayBuffer::New(env, kBytes));
      used_ = 0;
    }
    size_t at = used_;
    used_ = (at + bytes + 7) & ~static_cast<size_t>(7);  // 8-byte aligned, like typed-slab.ts
    return at;
  }

  Napi::Reference<Napi::ArrayBuffer> buffer_;
  size_t used_ = 0;
};

/** NewInt16 and NewBytes, for short-lived outputs: into the environment's OutputSlab. */
inline Napi::Int16Array SlabInt16(Napi::Env env, const int16_t* data, size_t length) {
  auto out = OutputSlab::Int16(env, length);
  if (length > 0) std::memcpy(out.Data(), data, length * sizeof(int16_t));
  return out;
}

inline Napi::Uint8Array SlabBytes(Napi::Env env, const uint8_t* data, size_t length) {
  auto out = OutputSlab::Bytes(env, length);
  if (length > 0) std::memcpy(out.Data(), data, length);
  return out;
}

/** An Error carrying a machine-readable `code` (index.ts maps it to SrtpError and the like). */
[[noreturn]] inline void ThrowCoded(Napi::Env env, const char* code, const std::string& message) {
  Napi::Error e = Napi::Error::New(env, message);
  e.Set("code", Napi::String::New(env, code));
  throw e;
}

/** options[key] as a number, or `fallback` when absent. */
inline double NumberOption(Napi::Object options, const char* key, double fallback) {
  Napi::Value v = options.Get(key);
  return v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : fallback;
}

inline bool BoolOption(Napi::Object options, const char* key, bool fallback) {
  Napi::Value v = options.Get(key);
  return v.IsBoolean() ? v.As<Napi::Boolean>().Value() : fallback;
}

inline Napi::Object OptionsArg(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsObject()) {
    throw Napi::TypeError::New(info.Env(), "options must be an object");
  }
  return info[0].As<Napi::Object>();
}

void RegisterOpusCodec(Napi::Env env, Napi::Object exports);
void RegisterG711Codec(Napi::Env env, Napi::Object exports);
void RegisterG722Codec(Napi::Env env, Napi::Object exports);
void RegisterG729Codec(Napi::Env env, Napi::Object exports);
void RegisterGsmCodec(Napi::Env env, Napi::Object exports);
void RegisterResampler(Napi::Env env, Napi::Object exports);
void RegisterSrtpSession(Napi::Env env, Napi::Object exports);
void RegisterUdpSocket(Napi::Env env, Napi::Object exports);

}  // namespace appel
