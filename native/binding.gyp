# Appel native addons: appel_native.node (Opus, G.722, G.711 µ/A-law, G.729, GSM 06.10 codecs,
# a speexdsp resampler, libsrtp2 SRTP, through index.ts; the media's polled UDP socket, through
# udp.ts), appel_video.node (VP8 through libvpx, H.264 through OpenH264, through video.ts), for
# the media engine in main/media/, and appel_memory.node (malloc_trim, through memory.ts), for
# the main thread once the media worker stops.
#
# Build with `npm run build:native` (also run by `npm ci` through the install script). It first
# runs check-deps.js, which names any missing Debian -dev package, then node-gyp with
# --nodedir=/usr so the Node-API headers come from /usr/include/node and nothing is downloaded.
# Node-API is ABI-stable: a build against those headers loads in Node 24 and in Electron.
# Libraries come from pkg-config; bcg729 and gsm fall back to plain -l flags (check-deps.js).
{
  'targets': [
    {
      'target_name': 'appel_native',
      'sources': [
        'src/addon.cc',
        'src/opus-codec.cc',
        'src/g711-codec.cc',
        'src/g722-codec.cc',
        'src/g729-codec.cc',
        'src/gsm-codec.cc',
        'src/resampler.cc',
        'src/srtp-session.cc',
      ],
      'conditions': [
        # The media's polled UDP socket uses Linux's recvmmsg and SO_TIMESTAMPNS.
        ['OS=="linux"', {'sources': ['src/udp-socket.cc', 'src/udp-pacer.cc'], 'defines': ['APPEL_POLLED_UDP']}],
      ],
      'dependencies': [
        "<!(node -p \"require('node-addon-api').targets\"):node_addon_api_except",
      ],
      'defines': ['NAPI_VERSION=8', 'NODE_ADDON_API_DISABLE_DEPRECATED'],
      'cflags': ['-fvisibility=hidden', '-Wall', '-Wextra'],
      'cflags_cc': [
        '-std=c++17',
        '-fvisibility=hidden',
        '-Wall',
        '-Wextra',
        '<!@(node check-deps.js --cflags)',
      ],
      'libraries': ['<!@(node check-deps.js --libs)'],
    },
    {
      # malloc_trim for the main thread: libc only, so loading it loads no codec library.
      'target_name': 'appel_memory',
      'sources': ['src/memory/memory-addon.cc'],
      'dependencies': [
        "<!(node -p \"require('node-addon-api').targets\"):node_addon_api_except",
      ],
      'defines': ['NAPI_VERSION=8', 'NODE_ADDON_API_DISABLE_DEPRECATED'],
      'cflags': ['-fvisibility=hidden', '-Wall', '-Wextra'],
      'cflags_cc': ['-std=c++17', '-fvisibility=hidden', '-Wall', '-Wextra'],
    },
    {
      # The video codecs (VP8 through libvpx, H.264 through OpenH264), apart: an audio-only engine
      # never loads them.
      'target_name': 'appel_video',
      'sources': [
        'src/video/video-addon.cc',
        'src/video/vp8-codec.cc',
        'src/video/h264-codec.cc',
      ],
      'dependencies': [
        "<!(node -p \"require('node-addon-api').targets\"):node_addon_api_except",
      ],
      'defines': ['NAPI_VERSION=8', 'NODE_ADDON_API_DISABLE_DEPRECATED'],
      'cflags': ['-fvisibility=hidden', '-Wall', '-Wextra'],
      'cflags_cc': [
        '-std=c++17',
        '-fvisibility=hidden',
        '-Wall',
        '-Wextra',
        '<!@(node check-deps.js --cflags video)',
      ],
      'libraries': ['<!@(node check-deps.js --libs video)'],
    },
  ],
}
