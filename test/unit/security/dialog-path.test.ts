import { describe, expect, it } from 'vitest';
import { Dialog } from '../../../main/sip/dialog/dialog.ts';
import { fromDialogPath } from '../../../main/sip/usage/dialog-path.ts';

function dialog(over: Partial<ConstructorParameters<typeof Dialog>[0]> = {}): Dialog {
  return new Dialog({
    role: 'uas',
    state: 'confirmed',
    id: { callId: 'c1', localTag: 'l1', remoteTag: 'r1' },
    local: '<sip:appel@192.0.2.1>;tag=l1',
    remote: '<sip:bob@198.51.100.2>;tag=r1',
    localSeq: undefined,
    remoteSeq: 1,
    remoteTarget: 'sip:bob@198.51.100.2:5062',
    routeSet: [],
    secure: false,
    localContact: '<sip:appel@192.0.2.1:5060>',
    flow: { protocol: 'UDP', address: '203.0.113.10', port: 5060 },
    ...over,
  });
}

describe("in-dialog requests only from the dialog's path", () => {
  it('takes the flow the dialog came on, its remote target and its first route hop', () => {
    const d = dialog({ routeSet: ['<sip:192.0.2.50;lr>', '<sip:192.0.2.51;lr>'] });
    expect(fromDialogPath(d, { source: { address: '203.0.113.10' } }, new Set())).toBe(true);
    expect(fromDialogPath(d, { source: { address: '::ffff:203.0.113.10' } }, new Set())).toBe(true);
    expect(fromDialogPath(d, { source: { address: '198.51.100.2' } }, new Set())).toBe(true);
    expect(fromDialogPath(d, { source: { address: '192.0.2.50' } }, new Set())).toBe(true);
    expect(fromDialogPath(d, { source: { address: '192.0.2.51' } }, new Set())).toBe(false);
  });

  it('takes the connection the dialog came on, and the addresses our own requests went to', () => {
    const d = dialog({ flow: { protocol: 'TCP', address: '203.0.113.10', port: 5060, connectionId: 'k1' }, remoteTarget: 'sip:bob@bob.example' });
    expect(fromDialogPath(d, { source: { address: '198.18.0.1' }, connectionId: 'k1' }, new Set())).toBe(true);
    expect(fromDialogPath(d, { source: { address: '198.18.0.1' }, connectionId: 'k2' }, new Set())).toBe(false);
    expect(fromDialogPath(d, { source: { address: '198.18.0.1' } }, new Set(['198.18.0.1']))).toBe(true);
  });

  it('refuses any other address', () => {
    expect(fromDialogPath(dialog(), { source: { address: '127.0.0.66' } }, new Set())).toBe(false);
  });
});
