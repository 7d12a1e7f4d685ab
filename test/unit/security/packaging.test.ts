import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/** The `key: value` lines of one top-level block of electron-builder.yml (a flat map of scalars). */
function block(yaml: string, name: string): Record<string, string> {
  const lines = yaml.split('\n');
  const start = lines.findIndex((l) => l === `${name}:`);
  if (start < 0) return {};
  const out: Record<string, string> = {};
  for (const line of lines.slice(start + 1)) {
    const m = /^ {2}([A-Za-z]+): (\S+)$/.exec(line);
    if (!m) break;
    out[m[1]] = m[2];
  }
  return out;
}

describe('the packaged app (electron-builder.yml)', () => {
  it('flips the Electron fuses: no run-as-node, no NODE_OPTIONS, no --inspect, only its own checked app.asar, encrypted cookies', () => {
    const yaml = readFileSync(join(import.meta.dirname, '../../../electron-builder.yml'), 'utf8');
    expect(yaml).toMatch(/^asar: true$/m);
    expect(block(yaml, 'electronFuses')).toEqual({
      runAsNode: 'false',
      enableNodeOptionsEnvironmentVariable: 'false',
      enableNodeCliInspectArguments: 'false',
      enableCookieEncryption: 'true',
      enableEmbeddedAsarIntegrityValidation: 'true',
      onlyLoadAppFromAsar: 'true',
      grantFileProtocolExtraPrivileges: 'false',
    });
  });
});
