/**
 * The shell's pure parts, each with Electron's objects faked: the app:// origin and its CSP, the
 * tray's state and menu, the notifier, window options, sleep and network watching, and the
 * keychain check over safeStorage.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NotificationConstructorOptions } from 'electron';
import { afterAll, describe, expect, it } from 'vitest';
import { APP_INDEX, CSP, appResponse, resolveAppUrl } from '../../../main/app/app-protocol.ts';
import { CallNotifier, callerLabel, missedCalls, notificationBody, type NotificationLike } from '../../../main/app/notifications.ts';
import { networkFingerprint, watchPower, type PowerWatchDeps } from '../../../main/app/power.ts';
import { keychainProblem, safeStorageCipher, type SafeStorageLike } from '../../../main/app/secrets.ts';
import { TEXT, shellLanguage } from '../../../main/app/shell-text.ts';
import { AppTray, trayMenuTemplate, trayState, trayTooltip } from '../../../main/app/tray.ts';
import { closeAction, externalUrl, incomingRoute, incomingWindowOptions, mainWindowOptions, permissionAllowed, secureWebPreferences, startHidden } from '../../../main/app/window-state.ts';
import type { AccountSnapshot, ApiEvents, CallSnapshot, HistoryEntry } from '../../../main/contract/api.ts';

const dir = mkdtempSync(join(tmpdir(), 'appel-shell-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the app:// origin', () => {
  const roots = { renderer: join(dir, 'renderer'), sounds: join(dir, 'sounds') };
  mkdirSync(join(roots.renderer, 'assets'), { recursive: true });
  mkdirSync(roots.sounds, { recursive: true });
  writeFileSync(join(roots.renderer, 'index.html'), '<!doctype html><title>Appel</title>');
  writeFileSync(join(roots.renderer, 'assets', 'index-abc.js'), 'console.log(1)');
  writeFileSync(join(roots.sounds, 'ringtone.wav'), 'RIFF');
  writeFileSync(join(dir, 'secret.html'), 'outside');

  it('maps our URLs to the built renderer and the sounds, and nothing else', () => {
    expect(resolveAppUrl('app://appel/', roots)).toEqual({ file: join(roots.renderer, 'index.html') });
    expect(resolveAppUrl(`${APP_INDEX}#/call`, roots)).toEqual({ file: join(roots.renderer, 'index.html') });
    expect(resolveAppUrl('app://appel/assets/index-abc.js?v=1', roots)).toEqual({ file: join(roots.renderer, 'assets', 'index-abc.js') });
    expect(resolveAppUrl('app://appel/sounds/ringtone.wav', roots)).toEqual({ file: join(roots.sounds, 'ringtone.wav') });
    expect(resolveAppUrl('app://appel/../secret.html', roots)).toEqual({ file: join(roots.renderer, 'secret.html') }); // URL parsing already drops the ..
    expect(resolveAppUrl('app://appel/%2e%2e/secret.html', roots)).toEqual({ file: join(roots.renderer, 'secret.html') }); // so does %2e%2e (WHATWG)
    expect(resolveAppUrl('app://appel/assets/%2e%2e%2f%2e%2e%2fsecret.html', roots)).toEqual({ status: 403 });
    expect(resolveAppUrl('app://other/index.html', roots)).toEqual({ status: 403 });
    expect(resolveAppUrl('file:///etc/passwd', roots)).toEqual({ status: 403 });
    expect(resolveAppUrl('app://appel/%E0%A4%A', roots)).toEqual({ status: 400 });
    expect(resolveAppUrl('app://appel/x%00.html', roots)).toEqual({ status: 400 });
    expect(resolveAppUrl('app://appel/config.toml', roots)).toEqual({ status: 404 });
  });

  it('answers with the file, its type and the Content-Security-Policy', async () => {
    const res = await appResponse({ url: 'app://appel/index.html', method: 'GET' }, roots);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toBe(CSP);
    expect(await res.text()).toContain('<title>Appel</title>');
    expect((await appResponse({ url: 'app://appel/missing.js' }, roots)).status).toBe(404);
    expect((await appResponse({ url: 'app://appel/index.html', method: 'POST' }, roots)).status).toBe(405);
    const refused = await appResponse({ url: 'app://appel/assets/%2e%2e%2f%2e%2e%2fsecret.html' }, roots);
    expect(refused.status).toBe(403);
    expect(refused.headers.get('content-security-policy')).toBe(CSP);
  });

  it('has a policy with no inline or eval script, no remote anything, no frames', () => {
    const directives = Object.fromEntries(CSP.split('; ').map((d) => [d.split(' ')[0], d.split(' ').slice(1).join(' ')]));
    expect(directives['default-src']).toBe("'none'");
    expect(directives['script-src']).toBe("'self'");
    expect(directives['object-src']).toBe("'none'");
    expect(directives['frame-ancestors']).toBe("'none'");
    expect(CSP).not.toMatch(/unsafe-eval|https?:|\*/);
  });
});

const account = (state: AccountSnapshot['state'], id = state): AccountSnapshot => ({ id, aor: `sip:${id}@example.com`, state });

describe('the tray', () => {
  it('shows one state from the accounts and do not disturb', () => {
    expect(trayState([], false)).toBe('offline');
    expect(trayState([account('registering')], false)).toBe('offline');
    expect(trayState([account('registered')], false)).toBe('registered');
    expect(trayState([account('registered'), account('failed')], false)).toBe('failing');
    expect(trayState([account('unregistered'), account('registered')], false)).toBe('registered');
    expect(trayState([account('registered')], true)).toBe('dnd');
  });

  it('says the state and the missed calls in words, in English and French', () => {
    expect(trayTooltip(TEXT.en, 'registered', 0)).toBe('Appel — Ready for calls');
    expect(trayTooltip(TEXT.en, 'failing', 2)).toBe('Appel — Registration failing — 2 missed calls');
    expect(trayTooltip(TEXT.fr, 'dnd', 1)).toBe('Appel — Ne pas déranger — 1 appel manqué');
    expect(Object.keys(TEXT.fr).sort()).toEqual(Object.keys(TEXT.en).sort());
    expect(shellLanguage('system', 'fr-CA')).toBe('fr');
    expect(shellLanguage('system', 'de-DE')).toBe('en');
    expect(shellLanguage('en', 'fr-FR')).toBe('en');
  });

  it('has a menu to open, toggle do not disturb and quit', () => {
    const done: string[] = [];
    const actions = { open: () => void done.push('open'), setDoNotDisturb: (on: boolean) => void done.push(`dnd ${on}`), quit: () => void done.push('quit') };
    const menu = trayMenuTemplate(TEXT.en, { doNotDisturb: false, missed: 3 }, actions);
    expect(menu.map((m) => m.label ?? m.type)).toEqual(['Open Appel (3 missed calls)', 'Do not disturb', 'separator', 'Quit Appel']);
    expect(menu[1]).toMatchObject({ type: 'checkbox', checked: false });
    const click = (i: number, checked = false) => (menu[i].click as (item: { checked: boolean }) => void)({ checked });
    click(0);
    click(1, true);
    click(3);
    expect(done).toEqual(['open', 'dnd true', 'quit']);
  });

  it('redraws its icon, tooltip, menu and badge when the view changes, and only then', () => {
    const calls: string[] = [];
    class FakeTray {
      constructor(image: unknown) {
        calls.push(`new ${String(image)}`);
      }
      on() {}
      setImage(image: unknown) {
        calls.push(`image ${String(image)}`);
      }
      setToolTip(t: string) {
        calls.push(`tip ${t}`);
      }
      setContextMenu() {
        calls.push('menu');
      }
      destroy() {}
    }
    const badges: number[] = [];
    const tray = new AppTray(
      { Tray: FakeTray as never, buildMenu: (t) => t as never, image: (p) => p.replace(dir, '') as never, assets: dir, setBadge: (n) => void badges.push(n) },
      { open() {}, setDoNotDisturb() {}, quit() {} },
      { accounts: [account('registered')], doNotDisturb: false, missed: 0, text: TEXT.en },
    );
    tray.update({ accounts: [account('registered')], doNotDisturb: false, missed: 0, text: TEXT.en });
    tray.update({ accounts: [account('failed')], doNotDisturb: false, missed: 1, text: TEXT.en });
    expect(calls).toEqual([
      'new /tray/registered.png',
      'image /tray/registered.png',
      'tip Appel — Ready for calls',
      'menu',
      'image /tray/failing.png',
      'tip Appel — Registration failing — 1 missed call',
      'menu',
    ]);
    expect(badges).toEqual([0, 1]);
  });
});

const ringing: CallSnapshot = { id: 'c1', direction: 'incoming', peer: { uri: 'sip:+33123456789@gw.example.com;user=phone' }, state: 'ringing', srtp: false, startedAt: 1 };

function notifierWith(platform: NodeJS.Platform, supported = true) {
  const shown: Array<NotificationConstructorOptions & { closed?: boolean; fire(e: 'click' | 'action', i?: number): void }> = [];
  class FakeNotification implements NotificationLike {
    readonly opts: (typeof shown)[number];
    readonly listeners: Record<string, (...a: unknown[]) => void> = {};
    constructor(opts: NotificationConstructorOptions) {
      this.opts = { ...opts, fire: (e, i) => this.listeners[e]?.({}, i) };
    }
    on(event: string, listener: (...a: never[]) => void) {
      this.listeners[event] = listener as (...a: unknown[]) => void;
      return this;
    }
    show() {
      shown.push(this.opts);
    }
    close() {
      this.opts.closed = true;
    }
  }
  const log: string[] = [];
  const missed: number[] = [];
  const notifier = new CallNotifier({
    Notification: FakeNotification,
    supported,
    platform,
    text: () => TEXT.en,
    contactName: (uri) => (uri.startsWith('sip:zoe@') ? 'Zoé Martin' : undefined),
    handlers: {
      'call:answer': async (req) => (log.push(`answer ${req.callId}`), ringing),
      'call:decline': (req) => void log.push(`decline ${req.callId}`),
    },
    openIncomingWindow: (id) => void log.push(`open window ${id}`),
    closeIncomingWindow: (id) => void log.push(`close window ${id}`),
    showMain: (route) => void log.push(`show ${route ?? '/'}`),
    missedChanged: (n) => void missed.push(n),
  });
  return { notifier, shown, log, missed };
}

const historyEntry = (id: number, outcome: HistoryEntry['outcome'], uri = 'sip:zoe@example.com'): HistoryEntry => ({ id, direction: 'incoming', peer: { uri }, startedAt: 1, duration: 0, outcome });
const change = (saved: HistoryEntry[], cleared = false): ApiEvents['history:changed'] => ({ saved, removed: [], cleared });

describe('notifications', () => {
  it('name the caller as a person would', () => {
    expect(callerLabel({ uri: 'sip:zoe@example.com' }, 'Zoé Martin')).toBe('Zoé Martin');
    expect(callerLabel({ uri: 'sip:zoe@example.com', displayName: ' Zoé ' })).toBe('Zoé');
    expect(callerLabel({ uri: 'sip:+33123456789@gw.example.com;user=phone' })).toBe('+33123456789');
    expect(callerLabel({ uri: 'sips:bob@example.com:5061;transport=tls' })).toBe('bob@example.com:5061');
    expect(callerLabel({ uri: 'tel:+1-201-555-0123' })).toBe('+1-201-555-0123');
  });

  it('ring with Answer and Decline buttons on macOS, and each button does what it says', async () => {
    const { notifier, shown, log } = notifierWith('darwin');
    notifier.incoming(ringing);
    notifier.incoming(ringing); // the same call again: one notification
    expect(shown).toHaveLength(1);
    expect(shown[0]).toMatchObject({ title: 'Incoming call', body: '+33123456789 is calling', actions: [{ type: 'button', text: 'Answer' }, { type: 'button', text: 'Decline' }] });
    shown[0].fire('action', 0);
    await Promise.resolve();
    shown[0].fire('action', 1);
    expect(log).toEqual(['open window c1', 'show /call', 'answer c1', 'decline c1']);
  });

  it('ring without buttons elsewhere (a click brings the call forward), and stop when the call stops ringing', () => {
    const { notifier, shown, log } = notifierWith('linux');
    notifier.incoming(ringing);
    expect(shown[0].actions).toBeUndefined();
    shown[0].fire('click');
    notifier.callState({ ...ringing, state: 'ringing' });
    expect(shown[0].closed).toBeUndefined();
    notifier.callState({ ...ringing, state: 'connected' });
    expect(shown[0].closed).toBe(true);
    expect(log).toEqual(['open window c1', 'show /call', 'close window c1']);
  });

  it('say that a ringing call offers video, in both languages', () => {
    const { notifier, shown } = notifierWith('linux');
    notifier.incoming({ ...ringing, video: { offered: true, active: false, sending: false, receiving: false, camera: true } });
    expect(shown[0]).toMatchObject({ title: 'Incoming video call', body: '+33123456789 is calling with video' });
    expect(TEXT.fr.incomingVideoTitle).toBe('Appel vidéo entrant');
    expect(TEXT.fr.incomingVideoBody('Zoé')).toBe('Zoé vous appelle en vidéo');
  });

  it("show a caller's name as text on Linux, whose notification daemons read the body as markup", () => {
    const { notifier, shown } = notifierWith('linux');
    notifier.incoming({ ...ringing, peer: { uri: 'sip:x@example.com', displayName: '<a href="http://evil.example">Bank</a> & <img src=x>' } });
    expect(shown[0].body).toBe('&lt;a href=&quot;http://evil.example&quot;&gt;Bank&lt;/a&gt; &amp; &lt;img src=x&gt; is calling');
    expect(notificationBody('<b>x</b>', 'darwin')).toBe('<b>x</b>');
  });

  it('still open the incoming window where the system has no notifications', () => {
    const { notifier, shown, log } = notifierWith('linux', false);
    notifier.incoming(ringing);
    expect(shown).toEqual([]);
    expect(log).toEqual(['open window c1']);
  });

  it('tell each missed call once, count them, and forget the count when seen', () => {
    const { notifier, shown, missed } = notifierWith('win32');
    expect(missedCalls(change([historyEntry(1, 'missed'), historyEntry(2, 'answered'), historyEntry(3, undefined)])).map((e) => e.id)).toEqual([1]);
    notifier.history(change([historyEntry(1, undefined)])); // the call starts: not missed yet
    notifier.history(change([historyEntry(1, 'missed')]));
    notifier.history(change([historyEntry(1, 'missed')])); // told again: counted once
    notifier.history(change([historyEntry(2, 'missed', 'sip:+4420794600@gw.example.com')]));
    notifier.history(change([historyEntry(3, 'declined')]));
    expect(notifier.missed).toBe(2);
    expect(shown.map((s) => s.body)).toEqual(['You missed a call from Zoé Martin', 'You missed a call from +4420794600']);
    notifier.resetMissed();
    notifier.history(change([], true));
    expect(missed).toEqual([1, 2, 0]);
  });
});

describe('windows', () => {
  it('are isolated, sandboxed and without Node, every one of them', () => {
    const prefs = secureWebPreferences('/app/preload.cjs');
    expect(prefs).toMatchObject({ preload: '/app/preload.cjs', contextIsolation: true, nodeIntegration: false, sandbox: true, webSecurity: true, webviewTag: false });
    expect(mainWindowOptions({ preload: '/p.cjs', show: false }).webPreferences).toEqual(secureWebPreferences('/p.cjs'));
    const small = incomingWindowOptions({ preload: '/p.cjs', workArea: { x: 0, y: 24, width: 1920, height: 1056 } });
    expect(small).toMatchObject({ alwaysOnTop: true, frame: false, skipTaskbar: true, x: 1920 - 360 - 16, y: 24 + 1056 - 168 - 16 });
    expect(small.webPreferences).toEqual(secureWebPreferences('/p.cjs'));
    expect(incomingRoute()).toBe('/incoming');
  });

  it('close to the tray unless quitting, and start hidden only when a tray can bring them back', () => {
    expect(closeAction({ closeToTray: true, quitting: false, hasTray: true })).toBe('hide');
    expect(closeAction({ closeToTray: true, quitting: true, hasTray: true })).toBe('close');
    expect(closeAction({ closeToTray: true, quitting: false, hasTray: false })).toBe('close');
    expect(closeAction({ closeToTray: false, quitting: false, hasTray: true })).toBe('close');
    expect(startHidden({ startMinimised: true, argv: [], hasTray: true })).toBe(true);
    expect(startHidden({ startMinimised: false, argv: ['appel', '--hidden'], hasTray: true })).toBe(true);
    expect(startHidden({ startMinimised: true, argv: [], hasTray: false })).toBe(false);
  });

  it('grant our page the microphone and the speaker choice, and nothing else to anyone', () => {
    const ours = { url: 'app://appel/index.html#/call', origin: 'app://appel' };
    expect(permissionAllowed({ ...ours, permission: 'media', mediaTypes: ['audio'] })).toBe(true);
    expect(permissionAllowed({ ...ours, permission: 'media', mediaTypes: ['audio', 'video'] })).toBe(false);
    expect(permissionAllowed({ ...ours, permission: 'speaker-selection' })).toBe(true);
    for (const permission of ['geolocation', 'notifications', 'clipboard-read', 'display-capture', 'openExternal', 'hid']) expect(permissionAllowed({ ...ours, permission })).toBe(false);
    expect(permissionAllowed({ permission: 'media', url: 'app://appel', origin: 'app://appel' })).toBe(true); // a check handler's origin
    expect(permissionAllowed({ permission: 'media', url: 'https://evil.example/', origin: 'app://appel', mediaTypes: ['audio'] })).toBe(false);
    expect(permissionAllowed({ permission: 'media', url: 'app://appel.evil/', origin: 'app://appel', mediaTypes: ['audio'] })).toBe(false);
  });

  it('open https links outside, and nothing else', () => {
    expect(externalUrl('https://appel.example/help')).toBe('https://appel.example/help');
    for (const url of ['http://example.com', 'file:///etc/passwd', 'javascript:alert(1)', 'app://appel/x', 'sip:bob@x']) expect(externalUrl(url)).toBeUndefined();
  });
});

describe('sleep and network changes', () => {
  const iface = (address: string, family: 'IPv4' | 'IPv6' = 'IPv4', internal = false) => ({ address, family, internal, netmask: '', mac: '', cidr: null }) as never;

  it('fingerprints the external addresses only', () => {
    const a = networkFingerprint({ lo: [iface('127.0.0.1', 'IPv4', true)], eth0: [iface('192.168.1.10'), iface('fe80::1', 'IPv6')] });
    expect(a).toBe('eth0/IPv4/192.168.1.10');
    expect(networkFingerprint({ eth0: [iface('fe80::2', 'IPv6'), iface('192.168.1.10')] })).toBe(a);
    expect(networkFingerprint({ wlan0: [iface('10.0.0.5')] })).not.toBe(a);
  });

  it('registers again once per burst of resumes and address changes, after they settle', () => {
    let now = 0;
    const timers = new Map<number, { at: number; every?: number; fn: () => void }>();
    let nextTimer = 1;
    const advance = (ms: number) => {
      const end = now + ms;
      for (;;) {
        const due = [...timers.entries()].filter(([, t]) => t.at <= end).sort((x, y) => x[1].at - y[1].at)[0];
        if (!due) break;
        const [id, t] = due;
        now = t.at;
        if (t.every) t.at += t.every;
        else timers.delete(id);
        t.fn();
      }
      now = end;
    };
    let addresses = { eth0: [iface('192.168.1.10')] };
    const resume: Array<() => void> = [];
    const deps: PowerWatchDeps = {
      powerMonitor: { on: (_e, l) => resume.push(l), off: (_e, l) => resume.splice(resume.indexOf(l), 1) },
      networkInterfaces: () => addresses,
      setInterval: (fn, ms) => (timers.set(nextTimer, { at: now + ms, every: ms, fn }), nextTimer++),
      clearInterval: (h) => void timers.delete(h as number),
      setTimeout: (fn, ms) => (timers.set(nextTimer, { at: now + ms, fn }), nextTimer++),
      clearTimeout: (h) => void timers.delete(h as number),
    };
    const changes: string[] = [];
    const stop = watchPower(deps, (why) => void changes.push(`${now} ${why}`), { pollMs: 1000, settleMs: 500 });
    advance(3000);
    expect(changes).toEqual([]);
    addresses = { eth0: [iface('10.1.2.3')] };
    advance(1500); // seen at 4000, acted on at 4500
    expect(changes).toEqual(['4500 network']);
    resume[0]();
    advance(200);
    resume[0]();
    advance(1000);
    expect(changes).toEqual(['4500 network', '5200 resume']);
    stop();
    expect(resume).toEqual([]);
    expect(timers.size).toBe(0);
  });
});

describe('passwords over safeStorage', () => {
  const fake = (available: boolean, backend?: string): SafeStorageLike => ({
    isEncryptionAvailable: () => available,
    encryptString: (s) => Buffer.from([...Buffer.from(s)].map((b) => b ^ 0x5a)),
    decryptString: (b) => Buffer.from([...b].map((x) => x ^ 0x5a)).toString(),
    ...(backend ? { getSelectedStorageBackend: () => backend } : {}),
  });

  it('refuses Linux basic_text (a key compiled into the browser) in words', () => {
    expect(keychainProblem(fake(true, 'basic_text'), 'linux')).toMatch(/^this Linux session has no keyring Appel can use .* Appel does not keep them/);
    expect(keychainProblem(fake(true, 'gnome_libsecret'), 'linux')).toBeUndefined();
    expect(keychainProblem(fake(true, 'kwallet6'), 'linux')).toBeUndefined();
    expect(keychainProblem(fake(true), 'darwin')).toBeUndefined();
    expect(keychainProblem(fake(false), 'win32')).toMatch(/^the system keychain is not available/);
    expect(safeStorageCipher(fake(true, 'basic_text'), 'linux').isEncryptionAvailable()).toBe(false);
  });

  it('encrypts and decrypts through safeStorage when the keychain is real', () => {
    const cipher = safeStorageCipher(fake(true, 'gnome_libsecret'), 'linux');
    expect(cipher.isEncryptionAvailable()).toBe(true);
    const sealed = cipher.encryptString('s3cret');
    expect(Buffer.from(sealed).includes(Buffer.from('s3cret'))).toBe(false);
    expect(cipher.decryptString(new Uint8Array(sealed))).toBe('s3cret');
  });
});
