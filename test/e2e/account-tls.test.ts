/**
 * A new user adds a TLS account whose server has a certificate from a private CA, in Chromium
 * against the real engine and Kamailio on TLS (127.0.0.1:5061): the account's status says in
 * plain words that the certificate is not from a trusted authority and shows its subject, issuer,
 * SHA-256 fingerprint and validity (no command-line flag anywhere); the CA file the provider gave
 * is chosen right there, and the account registers.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UiLab, UI_WAIT } from './lab/ui-lab.ts';

const ALICE = 'sip:alice@lab.test';
let lab: UiLab;

beforeAll(async () => {
  lab = await UiLab.start({ tls: true });
});

afterAll(async () => {
  await lab?.stop();
});

describe('a TLS account with a private CA', () => {
  it('shows the untrusted certificate in words, takes the CA file, and registers', async () => {
    await lab.addAccount(ALICE, 'alice-secret', { tls: true });

    const item = lab.accountItem(ALICE);
    const status = item.locator('.settings-accounts__error');
    await status.waitFor(UI_WAIT);
    expect(await status.textContent()).toBe(
      'The server’s certificate is not from an authority this computer trusts. If your provider gave you a certificate file, choose it below.',
    );
    const facts = item.getByTestId('certificate-facts');
    const served = new X509Certificate(readFileSync(lab.pki!.certFile));
    const text = (await facts.textContent()) ?? '';
    expect(text).toContain(served.fingerprint256);
    expect(text).toContain('Issued to');
    expect(text).toContain('Issued by');
    // The validity in the page's own words for dates (the year at least), not OpenSSL's.
    expect(await facts.getByTestId('certificate-validity').textContent()).toContain(String(new Date(served.validTo).getUTCFullYear()));
    expect(text).not.toContain(served.validTo);
    expect(await item.textContent()).not.toMatch(/--ca|pass --|unknown authority/);

    await item.getByTestId('account-trust-ca').setInputFiles(lab.pki!.caFile);
    await item.getByText('Registered', { exact: true }).waitFor(UI_WAIT);
    expect(await item.getByTestId('certificate-facts').count()).toBe(0);
    expect(lab.problems).toEqual([]);
  });
});
