// appel_memory.node: gives the C library's free memory back to the system. It links nothing but
// libc, so the main thread can load it without the codec libraries (appel_native.node loads opus,
// spandsp, libsrtp2 and what they pull in: about 3.4 MB resident).
//
// Why: glibc's malloc keeps what a thread freed in that thread's arena. When the media worker
// stops, its arena still holds the freed memory of every call it carried (measured: about 9 MB
// after a few calls), until malloc_trim(3) hands the free pages back (madvise(MADV_DONTNEED)).
#include <napi.h>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace {

// trim(): true when memory was handed back; false when there was none, or on a C library without
// malloc_trim (musl, macOS, Windows; Electron's own allocator ignores it too).
Napi::Value Trim(const Napi::CallbackInfo& info) {
#if defined(__GLIBC__)
  return Napi::Boolean::New(info.Env(), malloc_trim(0) == 1);
#else
  return Napi::Boolean::New(info.Env(), false);
#endif
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("trim", Napi::Function::New(env, Trim, "trim"));
  return exports;
}

}  // namespace

NODE_API_MODULE(appel_memory, Init)
