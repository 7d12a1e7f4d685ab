/**
 * What a lab linphonec is asked to be (`LinphoneOptions`), and the linphonerc that makes it so.
 * Why each setting is there: the comment of linphone.ts and PEERS-NOTES.md.
 *
 * Video (found by experiment with Debian's linphonec 5.1.65, PEERS-NOTES.md "linphonec video"):
 *   - `-V` on the command line turns video on at all; `[video]` then says capture and display,
 *     offer video in every call (`automatically_initiate`) and take it when offered
 *     (`automatically_accept`).
 *   - The only camera here is mediastreamer2's static picture (`device=StaticImage: Static
 *     picture`); the picture is set with the `staticpic set` command (there is no config key).
 *     It sends 1 frame/s unless `nowebcam_uses_normal_fps=1`; then `framerate` holds.
 *   - `displaytype=MSExtDisplay`: a display that shows nothing (the default, X11, says "Could not
 *     open display" and still works, but there is no point in trying).
 *   - The video RTP port is set (audio + 2) so that two instances in one namespace never meet.
 */

export type LinphoneCodec = 'opus' | 'speex' | 'PCMU' | 'PCMA' | 'GSM' | 'G722' | 'G729' | 'G726-32';

export interface LinphoneVideo {
  /**
   * The picture its camera sends: a JPEG, which mediastreamer2 scales into `size`. Copied into
   * the phone's folder when it is not under the test's folder.
   */
  picture: string;
  /** Frames per second it sends the picture at, default 15. */
  fps?: number;
  /** liblinphone's name of the size it sends (`vga` = 640×480, `cif` = 352×288, `qvga` = 320×240), default vga. */
  size?: 'vga' | 'cif' | 'qvga';
  /** Video RTP port, default sipPort + 10002 (the audio one + 2). */
  rtpPort?: number;
}

export interface LinphoneOptions {
  user: string;
  password?: string;
  /** The AoR's domain, default `lab.test`. */
  domain?: string;
  /** `host:port` of the registrar/outbound proxy (Kamailio: `127.0.0.1:5060`); null = no registration. */
  registrar: string | null;
  sipPort: number;
  transport?: 'udp' | 'tcp';
  /**
   * The only codecs left enabled (names as `codec list` prints them; `speex` means its three
   * rates). Default: linphonec's own set (opus, speex, PCMU, PCMA, G729).
   */
  codecs?: LinphoneCodec[];
  /** Mono WAV used as the microphone (8 kHz is safest). */
  playWav?: string;
  /** Where what it hears is written; default `<dir>/heard.wav`. */
  recordWav?: string;
  autoAnswer?: boolean;
  /** Audio RTP port, default sipPort + 10000. */
  rtpPort?: number;
  /** SDES-SRTP (RFC 4568) required on every stream (`media_encryption=srtp`, mandatory); default: plain RTP. */
  srtp?: boolean;
  /** Video calls (VP8) with a static picture as the camera; default: audio only. */
  video?: LinphoneVideo;
  /** How long `start()` may take, default 15 s. */
  startTimeoutMs?: number;
}

/** The linphonerc text for `o`. */
export function linphonerc(o: LinphoneOptions): string {
  const t = o.transport ?? 'udp';
  const domain = o.domain ?? 'lab.test';
  const lines = [
    '[sip]',
    `sip_port=${t === 'udp' ? o.sipPort : 0}`,
    `sip_tcp_port=${t === 'tcp' ? o.sipPort : 0}`,
    'sip_tls_port=0',
    `default_proxy=${o.registrar ? 0 : -1}`,
    'ipv6_enabled=0',
    'register_only_when_network_is_up=0',
    // No GRUU: a GRUU contact is on the proxy's domain, and kamailio.ts routes in-dialog
    // requests by Route only (no lookup for uri==myself), so the BYE would never arrive.
    'supported=replaces, outbound',
    ...(o.srtp ? ['media_encryption=srtp', 'media_encryption_mandatory=1'] : []),
    '',
    '[net]',
    'firewall_policy=0',
    '',
    '[rtp]',
    `audio_rtp_port=${o.rtpPort ?? o.sipPort + 10000}`,
    ...(o.video ? [`video_rtp_port=${o.video.rtpPort ?? o.sipPort + 10002}`] : []),
    'bind_address=127.0.0.1',
    '',
    '[sound]',
    'echocancellation=0',
    '',
  ];
  if (o.video) {
    lines.push(
      '[video]',
      'capture=1',
      'display=1',
      'automatically_initiate=1',
      'automatically_accept=1',
      'device=StaticImage: Static picture',
      `size=${o.video.size ?? 'vga'}`,
      'nowebcam_uses_normal_fps=1',
      `framerate=${o.video.fps ?? 15}`,
      'displaytype=MSExtDisplay',
      '',
    );
  }
  if (o.registrar) {
    lines.push(
      '[proxy_0]',
      `reg_proxy=<sip:${o.registrar};transport=${t}>`,
      `reg_route=<sip:${o.registrar};transport=${t};lr>`,
      `reg_identity=sip:${o.user}@${domain}`,
      'reg_expires=600',
      'reg_sendregister=1',
      'publish=0',
      '',
    );
  }
  if (o.password !== undefined) {
    lines.push('[auth_info_0]', `username=${o.user}`, `passwd=${o.password}`, `realm=${domain}`, `domain=${domain}`, '');
  }
  return lines.join('\n');
}
