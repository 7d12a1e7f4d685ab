// Finds the system libraries the native addon links against, before node-gyp runs.
//
//   node native/check-deps.js           check everything; on a gap print one line per missing
//                                       Debian package ("missing libopus-dev: apt-get install
//                                       libopus-dev") and exit 1
//   node native/check-deps.js --cflags [video]  compiler flags for binding.gyp (pkg-config, else
//                                       -I) of the audio addon, or of the video one
//   node native/check-deps.js --libs [video]    linker flags for binding.gyp (pkg-config, else -l)
//
// bcg729 and gsm ship no .pc file on some Debian releases: for those (and for any library when
// pkg-config itself is absent) the header is looked up in the usual include directories and the
// plain -l flag is used.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import process from 'node:process';

/** @type {{ pc: string | null, header: string, lib: string, deb: string, addon: 'audio' | 'video' }[]} */
const LIBRARIES = [
  { pc: 'opus', header: 'opus/opus.h', lib: 'opus', deb: 'libopus-dev', addon: 'audio' },
  { pc: 'speexdsp', header: 'speex/speex_resampler.h', lib: 'speexdsp', deb: 'libspeexdsp-dev', addon: 'audio' },
  { pc: 'libsrtp2', header: 'srtp2/srtp.h', lib: 'srtp2', deb: 'libsrtp2-dev', addon: 'audio' },
  { pc: 'spandsp', header: 'spandsp/g722.h', lib: 'spandsp', deb: 'libspandsp-dev', addon: 'audio' },
  { pc: 'libbcg729', header: 'bcg729/decoder.h', lib: 'bcg729', deb: 'libbcg729-dev', addon: 'audio' },
  { pc: null, header: 'gsm/gsm.h', lib: 'gsm', deb: 'libgsm1-dev', addon: 'audio' },
  { pc: 'vpx', header: 'vpx/vpx_encoder.h', lib: 'vpx', deb: 'libvpx-dev', addon: 'video' },
  { pc: 'openh264', header: 'wels/codec_api.h', lib: 'openh264', deb: 'libopenh264-dev', addon: 'video' },
];

/** The addon whose flags are asked for: `--cflags video` → the video addon's libraries. */
const addon = process.argv[3] === 'video' ? 'video' : 'audio';

const INCLUDE_DIRS = ['/usr/include', '/usr/local/include', `/usr/include/${multiarch()}`];

/** Node-API headers: node-gyp is pointed at them with --nodedir=/usr so it never downloads any. */
const NODE_HEADERS = '/usr/include/node/node_api.h';

function multiarch() {
  const arch = { x64: 'x86_64', arm64: 'aarch64', ia32: 'i386', arm: 'arm' }[process.arch] ?? process.arch;
  return `${arch}-linux-gnu${process.arch === 'arm' ? 'eabihf' : ''}`;
}

function run(cmd, args) {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

const hasPkgConfig = run('pkg-config', ['--version']) !== null;

function pkgConfig(name, what) {
  if (!hasPkgConfig || name === null) return null;
  if (run('pkg-config', ['--exists', name]) === null) return null;
  return run('pkg-config', [what, name]);
}

function headerFound(header) {
  return INCLUDE_DIRS.some((dir) => existsSync(`${dir}/${header}`));
}

function cflags() {
  const flags = [];
  for (const l of LIBRARIES.filter((x) => x.addon === addon)) {
    const pc = pkgConfig(l.pc, '--cflags');
    if (pc) flags.push(...pc.split(/\s+/));
  }
  // opus.h is included as <opus.h> (opus.pc adds -I/usr/include/opus); keep that without pkg-config.
  if (addon === 'audio' && !flags.some((f) => f.endsWith('/opus'))) flags.push('-I/usr/include/opus');
  return [...new Set(flags.filter(Boolean))];
}

function libs() {
  const flags = [];
  for (const l of LIBRARIES.filter((x) => x.addon === addon)) {
    const pc = pkgConfig(l.pc, '--libs');
    flags.push(...(pc ? pc.split(/\s+/) : [`-l${l.lib}`]));
  }
  return [...new Set(flags.filter(Boolean))];
}

function check() {
  const problems = [];
  if (!hasPkgConfig) problems.push({ deb: 'pkg-config', why: 'finds the libraries below', fatal: false });
  for (const l of LIBRARIES) {
    const viaPc = pkgConfig(l.pc, '--modversion') !== null;
    if (!viaPc && !headerFound(l.header)) problems.push({ deb: l.deb, why: `no ${l.header}`, fatal: true });
  }
  if (!existsSync(NODE_HEADERS)) {
    problems.push({ deb: 'libnode-dev', why: `no ${NODE_HEADERS} (Node-API headers; NodeSource's nodejs also ships them)`, fatal: true });
  }
  if (run('g++', ['--version']) === null) problems.push({ deb: 'g++', why: 'C++17 compiler', fatal: true });
  if (run('make', ['--version']) === null) problems.push({ deb: 'make', why: 'node-gyp builds with make', fatal: true });
  if (run('python3', ['--version']) === null) problems.push({ deb: 'python3', why: 'node-gyp runs gyp with it', fatal: true });

  for (const p of problems) {
    process.stderr.write(`${p.fatal ? 'missing' : 'warning: missing'} ${p.deb}: apt-get install ${p.deb}   (${p.why})\n`);
  }
  if (problems.some((p) => p.fatal)) {
    process.stderr.write('native addon: install the packages above, then run `npm run build:native`\n');
    process.exit(1);
  }
}

const mode = process.argv[2];
if (mode === '--cflags') process.stdout.write(cflags().join(' ') + '\n');
else if (mode === '--libs') process.stdout.write(libs().join(' ') + '\n');
else check();
