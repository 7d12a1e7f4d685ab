import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Imports point one way (DESIGN.md): app → phone → {sip, sdp, media, store}; media → native. */
const layer = (files, forbidden, why) => ({
  files,
  rules: {
    '@typescript-eslint/no-restricted-imports': [
      'error',
      { patterns: [{ group: forbidden, message: why }], paths: [{ name: 'electron', message: 'only main/app/ imports electron' }] },
    ],
  },
});

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
  layer(['main/sip/**/*.ts'], ['**/media/**', '**/sdp/**', '**/phone/**', '**/store/**', '**/app/**', '**/native/**'], 'the SIP stack imports nothing of ours outside main/sip/'),
  layer(['main/sdp/**/*.ts'], ['**/media/**', '**/sip/**', '**/phone/**', '**/store/**', '**/app/**', '**/native/**'], 'sdp/ is pure and stands alone'),
  layer(['main/media/**/*.ts'], ['**/sip/**', '**/sdp/**', '**/phone/**', '**/store/**', '**/app/**'], 'media/ reaches only native/'),
  layer(['main/phone/**/*.ts', 'main/store/**/*.ts', 'main/cli.ts', 'main/cli/**/*.ts'], ['**/app/**'], 'only the Electron shell imports main/app/'),
);
