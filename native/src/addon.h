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

}  // namespace appel
