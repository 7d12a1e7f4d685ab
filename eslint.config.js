import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import vueParser from 'vue-eslint-parser';

/**
 * Imports point one way (DESIGN.md): app -> bridge -> phone -> {sip, sdp, media, store};
 * media -> native; everything may import contract/, which imports nothing of ours. Each fence is
 * a regular expression over the import path, so a fence names exactly what it forbids.
 */
const ELECTRON = { name: 'electron', message: 'only main/app/ imports electron' };
const layer = (files, fences, { electron = false } = {}) => ({
  files,
  rules: {
    '@typescript-eslint/no-restricted-imports': [
      'error',
      { patterns: fences.map(([regex, message]) => ({ regex, message })), paths: electron ? [] : [ELECTRON] },
    ],
  },
});

/** Our areas under main/ (contract/ is open to all). */
const AREAS = ['sip', 'sdp', 'media', 'phone', 'store', 'bridge', 'app', 'native', 'cli'];
/** A fence against every area but `mine`. */
const only = (mine, why) => [`(^|/)(${AREAS.filter((a) => !mine.includes(a)).join('|')})(/|\\.ts$)`, why];
/** media/'s inside: outside media/, its public face media/index.ts is the way in. */
const MEDIA_FACE = ['(^|/)media/(?!index\\.ts$)', 'import media through main/media/index.ts, its public face'];

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'native/build/**', 'native/node_modules/**', 'out/**', '.bench-tmp.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  // contract/ is what every side shares: it imports nothing of ours.
  layer(['main/contract/**/*.ts'], [['^\\.\\./', 'main/contract/ imports nothing of ours outside main/contract/']]),
  layer(['main/sip/**/*.ts'], [only(['sip'], 'the SIP stack imports nothing of ours outside main/sip/ but contract/')]),
  layer(['main/sdp/**/*.ts'], [only(['sdp'], 'sdp/ is pure and stands alone (contract/ aside)')]),
  layer(['main/media/**/*.ts'], [only(['media', 'native'], 'media/ reaches only native/ and contract/')]),
  // Storage depends on nothing above it.
  layer(['main/store/**/*.ts'], [only(['store'], 'store/ imports only main/contract/')]),
  layer(['main/phone/**/*.ts', 'main/cli.ts', 'main/cli/**/*.ts'], [['(^|/)(app|bridge)/', 'phone/ and the CLI import neither the shell nor the bridge'], MEDIA_FACE]),
  layer(['main/bridge/**/*.ts'], [['(^|/)app/', 'the bridge does not import the Electron shell'], MEDIA_FACE]),
  layer(['main/app/**/*.ts'], [MEDIA_FACE], { electron: true }),
  // The renderer reaches the engine through window.appel; of main/ it imports the contract only.
  {
    files: ['renderer/**/*.vue'],
    languageOptions: { parser: vueParser, parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.vue'], sourceType: 'module' } },
    // vue-tsc checks names in single-file components (a template's use of an import is invisible here).
    rules: { 'no-undef': 'off', '@typescript-eslint/no-unused-vars': 'off' },
  },
  layer(['renderer/**/*.ts', 'renderer/**/*.vue'], [['(^|/)main/(?!contract/)', 'the renderer imports only main/contract/ of main/']]),
);
