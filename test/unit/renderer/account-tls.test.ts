/**
 * A TLS account as a person sees it (happy-dom): a server certificate refused is said in plain
 * words of the UI's language (never the engine's English, never a command-line flag), with the
 * certificate's facts, and the CA file chosen right there is saved with the account. The form's
 * "More options" hold the options users expect, each sent to the engine; the dialpad offers
 * "Call voicemail" when the account has a voicemail number.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { AccountSnapshot, CertificateFacts } from '../../../main/contract/api.ts';
import SettingsAccounts from '../../../renderer/src/components/settings/SettingsAccounts.vue';
import DialpadView from '../../../renderer/src/views/DialpadView.vue';
import { certificatesOf } from '../../../renderer/src/lib/certificate-file.ts';
import { useAccountsStore } from '../../../renderer/src/stores/accounts.ts';
import { useCallsStore } from '../../../renderer/src/stores/calls.ts';
import { flushPromises, mountWith } from './mount.ts';

afterEach(() => {
  document.body.innerHTML = '';
});

const PEM = '-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ2E=\n-----END CERTIFICATE-----';
const certificate: CertificateFacts = {
  subject: 'CN=pbx.lab.test',
  issuer: 'CN=Lab Private CA',
  fingerprint256: 'AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89',
  validFrom: 'Dec  7 01:49:21 2026 GMT',
  validTo: 'Jan  6 01:49:21 2027 GMT',
  names: ['pbx.lab.test'],
};
const untrusted: AccountSnapshot = {
  id: 't1',
  aor: 'sips:alice@pbx.lab.test',
  state: 'failed',
  error: { status: 503, code: 'tls-untrusted', reason: 'certificate of 127.0.0.1:5061 is signed by an unknown authority and not trusted', certificate },
  config: { aor: 'sips:alice@pbx.lab.test', transport: 'tls' },
};

async function mountAccounts(accounts: AccountSnapshot[], locale: 'en' | 'fr' = 'en') {
  const mounted = await mountWith(SettingsAccounts, { initialState: { accounts: { accounts } }, locale, route: '/settings' });
  return { ...mounted, store: useAccountsStore() };
}

const inputByLabel = (root: HTMLElement, label: string): HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement => {
  const l = [...root.querySelectorAll('label')].find((x) => x.textContent?.trim() === label);
  if (!l) throw new Error(`no field labelled ${label}`);
  return root.querySelector<HTMLInputElement>(`#${CSS.escape(l.htmlFor)}`)!;
};

function choose(input: HTMLInputElement, file: File): void {
  Object.defineProperty(input, 'files', { value: [file], configurable: true });
  input.dispatchEvent(new Event('change'));
}

function type(root: HTMLElement, label: string, value: string): void {
  const field = inputByLabel(root, label);
  field.value = value;
  field.dispatchEvent(new Event(field instanceof HTMLSelectElement ? 'change' : 'input'));
}

describe('Settings: a server certificate refused', () => {
  it('says why in plain words, shows the certificate, and names no command-line flag', async () => {
    const { wrapper } = await mountAccounts([untrusted]);
    const item = wrapper.get('[data-testid=account-item]');
    expect(item.get('.settings-accounts__error').text()).toBe(
      'The server’s certificate is not from an authority this computer trusts. If your provider gave you a certificate file, choose it below.',
    );
    const facts = item.get('[data-testid=certificate-facts]').text();
    for (const shown of ['Issued to', 'CN=pbx.lab.test', 'Issued by', 'CN=Lab Private CA', 'SHA-256 fingerprint', certificate.fingerprint256]) {
      expect(facts).toContain(shown);
    }
    // The validity as people read dates, not OpenSSL's "Dec  7 01:49:21 2026 GMT".
    expect(item.get('[data-testid=certificate-validity]').text()).toMatch(/^from December [67], 2026 .* to January [56], 2027 /);
    expect(item.text()).not.toMatch(/--ca|unknown authority|503/);
    expect(item.text()).toContain('Choose the certificate file');
  });

  it('says it in French too', async () => {
    const { wrapper } = await mountAccounts([untrusted], 'fr');
    const item = wrapper.get('[data-testid=account-item]');
    expect(item.get('.settings-accounts__error').text()).toBe(
      'Le certificat du serveur ne vient pas d’une autorité reconnue par cet ordinateur. Si votre opérateur vous a donné un fichier de certificat, choisissez-le ci-dessous.',
    );
    expect(item.text()).toContain('Empreinte SHA-256');
    expect(item.get('[data-testid=certificate-validity]').text()).toMatch(/^du .*décembre 2026.* au .*janvier 2027/);
    expect(item.text()).not.toMatch(/certificate of|--ca|Dec |Jan /);
  });

  it('words the other refusals (another name, expired) without the engine’s English, and offers no CA file for them', async () => {
    const { wrapper } = await mountAccounts([
      { ...untrusted, id: 'h', error: { status: 503, code: 'tls-hostname', reason: 'certificate of 127.0.0.1:5061 is for pbx.lab.test, not other.test', certificate } },
      { ...untrusted, id: 'e', error: { status: 503, code: 'tls-expired', reason: 'certificate of 127.0.0.1:5061 has expired', certificate } },
    ]);
    const [hostname, expired] = wrapper.findAll('[data-testid=account-item]');
    expect(hostname.get('.settings-accounts__error').text()).toBe('The server’s certificate is for another name (pbx.lab.test). Check the server’s address, or ask your provider.');
    expect(expired.get('.settings-accounts__error').text()).toBe('The server’s certificate has expired. Ask your provider to renew it.');
    expect(wrapper.find('[data-testid=account-trust-ca]').exists()).toBe(false);
  });

  it('saves the certificates of the file chosen as the account’s CA (nothing else of the file)', async () => {
    const { wrapper, store } = await mountAccounts([untrusted]);
    const input = wrapper.get('[data-testid=account-trust-ca]').element as HTMLInputElement;
    choose(input, new File([`# my provider's CA\n${PEM}\n-----BEGIN PRIVATE KEY-----\nsecret\n-----END PRIVATE KEY-----\n`], 'ca.pem'));
    await flushPromises();
    expect(store.update).toHaveBeenCalledWith({ id: 't1', ca: `${PEM}\n` });
  });

  it('says so when the file holds no certificate, and saves nothing', async () => {
    const { wrapper, store } = await mountAccounts([untrusted]);
    choose(wrapper.get('[data-testid=account-trust-ca]').element as HTMLInputElement, new File(['hello'], 'notes.txt'));
    await flushPromises();
    expect(wrapper.get('[role=alert]').text()).toBe('notes.txt holds no certificate (a file beginning with -----BEGIN CERTIFICATE----- is needed).');
    expect(store.update).not.toHaveBeenCalled();
  });

  it('keeps only certificates of a PEM text', () => {
    expect(certificatesOf(`x\n${PEM}\ny\n${PEM}`)).toBe(`${PEM}\n${PEM}\n`);
    expect(certificatesOf('-----BEGIN PRIVATE KEY-----\nk\n-----END PRIVATE KEY-----')).toBeUndefined();
  });
});

describe('Settings: the account options users expect', () => {
  it('adds an account with realm, auth user, CA file, expiry, keep-alive, SRTP, DTMF and voicemail', async () => {
    const { wrapper, store } = await mountAccounts([]);
    await wrapper.get('[data-testid=account-add]').trigger('click');
    const form = wrapper.get('[data-testid=account-form]');
    const el = form.element as HTMLElement;
    type(el, 'SIP address', 'sips:alice@pbx.lab.test');
    await form.findAll('button').find((b) => b.text() === 'More options')!.trigger('click');
    type(el, 'User name', 'alice-auth');
    type(el, 'Realm', 'pbx');
    type(el, 'Transport', 'tls');
    choose(el.querySelector<HTMLInputElement>('[data-testid=account-ca-file]')!, new File([PEM], 'ca.crt'));
    await flushPromises();
    expect(inputByLabel(el, 'Certificate authority (TLS)').value).toBe(`${PEM}\n`);
    type(el, 'Registration expiry (s)', '300');
    type(el, 'Keep-alive interval (s)', '15');
    type(el, 'Media encryption (SRTP)', 'mandatory');
    type(el, 'Keypad tones (DTMF)', 'rfc4733');
    type(el, 'Voicemail number', '*97');
    await form.trigger('submit');
    await flushPromises();
    expect(store.add).toHaveBeenCalledWith({
      aor: 'sips:alice@pbx.lab.test',
      register: true,
      username: 'alice-auth',
      realm: 'pbx',
      transport: 'tls',
      ca: PEM,
      expires: 300,
      keepAlive: 15,
      srtp: 'mandatory',
      dtmf: 'rfc4733',
      voicemail: '*97',
    });
  });

  it('refuses an expiry that is not a whole number of seconds, and sends nothing', async () => {
    const { wrapper, store } = await mountAccounts([]);
    await wrapper.get('[data-testid=account-add]').trigger('click');
    const form = wrapper.get('[data-testid=account-form]');
    const el = form.element as HTMLElement;
    type(el, 'SIP address', 'sip:alice@lab.test');
    await form.findAll('button').find((b) => b.text() === 'More options')!.trigger('click');
    type(el, 'Registration expiry (s)', '10 min');
    await form.trigger('submit');
    await flushPromises();
    expect(form.text()).toContain('Enter a whole number of seconds between 60 and 604800.');
    expect(store.add).not.toHaveBeenCalled();
  });

  it('shows the saved options when editing, and the CA field open for a refused certificate', async () => {
    const saved: AccountSnapshot = { ...untrusted, config: { ...untrusted.config!, realm: 'pbx', srtp: 'optional', dtmf: 'info', voicemail: '*97', expires: 900, keepAlive: 0 } };
    const { wrapper } = await mountAccounts([saved]);
    await wrapper.findAll('button').find((b) => b.text() === 'Edit')!.trigger('click');
    const el = wrapper.get('[data-testid=account-form]').element as HTMLElement;
    expect(inputByLabel(el, 'Realm').value).toBe('pbx');
    expect(inputByLabel(el, 'Media encryption (SRTP)').value).toBe('optional');
    expect(inputByLabel(el, 'Keypad tones (DTMF)').value).toBe('info');
    expect(inputByLabel(el, 'Voicemail number').value).toBe('*97');
    expect(inputByLabel(el, 'Registration expiry (s)').value).toBe('900');
    expect(inputByLabel(el, 'Keep-alive interval (s)').value).toBe('0');
    expect(inputByLabel(el, 'Certificate authority (TLS)').value).toBe('');
  });
});

describe('Dialpad: Call voicemail', () => {
  const withVoicemail = (voicemail?: string) => ({
    accounts: {
      accounts: [{ id: 'a1', aor: 'sip:alice@lab.test', state: 'registered', config: { aor: 'sip:alice@lab.test', ...(voicemail ? { voicemail } : {}) } }],
      loaded: true,
    },
  });

  it('dials the account’s voicemail number at its domain', async () => {
    const { wrapper } = await mountWith(DialpadView, { initialState: withVoicemail('*97') });
    await wrapper.get('[data-testid=dialpad-voicemail]').trigger('click');
    await flushPromises();
    expect(wrapper.get('[data-testid=dialpad-voicemail]').text()).toBe('Call voicemail');
    expect(useCallsStore().dial).toHaveBeenCalledWith('sip:*97@lab.test', 'a1');
  });

  it('is not there without a voicemail number', async () => {
    const { wrapper } = await mountWith(DialpadView, { initialState: withVoicemail() });
    expect(wrapper.find('[data-testid=dialpad-voicemail]').exists()).toBe(false);
  });
});
