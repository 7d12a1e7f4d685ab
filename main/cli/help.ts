/** `appel help`: what the command line does, its options and its events. */
export const HELP = `Appel — a SIP softphone. Headless command line.

Usage:
  appel register --aor URI [options]     register an account, then exit (or stay --for S)
  appel call URI [options]               call, print what happens, hang up after --duration;
                                         URI may be a sip:/sips:/tel: URI, a number, an
                                         extension or user@host (completed with the AOR's domain)
  appel listen [options]                 take calls (ring, or --auto-answer), answer OPTIONS,
                                         print MESSAGEs received
  appel options URI [options]            send OPTIONS and print the answer (Allow, Supported,
                                         User-Agent, round-trip time)
  appel message URI TEXT [options]       send an instant message (RFC 3428)
  appel help                             this text

  From a clone of the repository: npx appel … (or npm run phone -- …).

Account options:
  --aor URI            address of record, e.g. sip:alice@example.com
  --username U         authentication user (default: the AOR's user part)
  --realm R            the only digest realm given credentials (default: the registrar's
                       realm and the AOR's domain; others are refused)
  --password P         password (also: environment variable APPEL_PASSWORD; else a prompt
                       when run in a terminal)
  --display-name N     display name in From
  --proxy URI          outbound proxy, e.g. 'sip:127.0.0.1:5061;transport=tls'
                       (skips DNS look-ups of the AOR's domain)
  --transport T        udp, tcp or tls when neither the proxy nor DNS decides
  --ca FILE            PEM file of extra certificate authorities trusted for TLS
  --insecure           do not verify TLS certificates (testing only)
  --expires N          registration interval to ask for, seconds (default 600)
  --no-outbound        do not use RFC 5626 outbound (reg-id, flow keep-alive)
  --keep-alive S       keep-alive interval in seconds (0 = off)
  --retry-base S       back-off base after a failed registration (RFC 5626 §4.5; default 30)
  --no-register        do not register (listen, options, message)

Network options:
  --listen SPEC        local socket(s), e.g. udp:127.0.0.1:5070, tcp:[::1]:0, tls:0.0.0.0:5061
                       (repeatable; default: udp, tcp and tls on 0.0.0.0, any free port)
  --dns HOST:PORT      DNS server(s) for RFC 3263 look-ups (repeatable; default: the system's)
  --stun HOST[:PORT]   learn each call's public RTP address from this STUN server (RFC 5389)
  --rtp-ports MIN-MAX  RTP ports to use (default 16384-32766)
  --tls-cert FILE --tls-key FILE   certificate for a TLS listener

Call options (call, listen):
  --play FILE          send this WAV file (16-bit PCM) as the microphone; tone:HZ sends a tone
                       (default: silence)
  --record FILE        write what is heard to this WAV file (mono, 16 kHz); in listen, {n} in
                       the name is replaced by the call's number
  --video              a video call (VP8, else H.264): call offers video; listen answers with it
  --video-source SRC   the video we send: testsrc (colour bars and a moving square) or a .y4m
                       file (looped); without it the call receives video and sends none
  --record-video FILE  write the video received, as it came: IVF for VP8, Annex B for H.264
                       (ffprobe and ffplay read both); {n} as for --record. Either of these two
                       implies --video
  --codecs LIST        codecs in order of preference (default opus,g722,pcmu,pcma,g729,gsm)
  --srtp MODE          off, optional or mandatory SDES-SRTP (default: off for call, mandatory
                       when it goes over TLS or to a sips: URI; optional for listen)
  --duration S         call: hang up S seconds after the answer (default: when the other side does),
                       or 1 s after the --dtmf digits have all been sent, if later
  --dtmf DIGITS        call: send these digits (0-9 * # A-D) once media flows
  --dtmf-info          call: DTMF by SIP INFO, not RFC 4733 events
  --auto-answer        listen: answer every call; --delay S waits S seconds first
  --dnd                listen: do not disturb (every call gets 486 Busy Here)
  --max-rate N         new requests per second one address may send before it gets 503 and
                       then silence (default 20; 0: no limit, for load tests); the account's
                       registrar is never limited
  --transfers WHEN     when the other side asks to transfer us (REFER): never (the default;
                       refused with 603), always, or ask (a 'transfer' event with state
                       'asking', then accept-transfer or decline-transfer on standard input)
  --direct-calls WHEN  take calls, messages and OPTIONS sent straight to this computer rather
                       than through the account's server: auto (only when no account
                       registers; the default), always or never. A request for a registered
                       account is taken only from its registrar, at the Contact registered.
  --session-expires S  RFC 4028 session interval asked for, and the shortest accepted when
                       below 90 (default 1800; short values are for tests)

  While call or listen runs, lines on standard input act on the current call (the latest one,
  or the one 'swap' or 'call' moved to): hold, resume, hangup, answer, decline [486|603],
  dtmf DIGITS, codecs LIST, video on|off (add or remove video by re-INVITE), camera on|off
  (send our video or not; nothing is renegotiated), message TEXT (to its peer), and
    transfer URI        blind transfer (RFC 5589 §6): the call is held, its peer REFERred to URI
    call URI            a second call (the current one is put on hold first); it records to
                        the --record and --record-video names with -2 (then -3…) before the
                        extension, and sends its own --video-source
    swap                hold the current call and take the other one off hold
    attended-transfer   connect the first call's peer with the second call's (Replaces)
    accept-transfer     follow the transfer the other side asked for (with --transfers ask)
    decline-transfer    refuse it (the call goes on)
    merge               the two calls into a three-way conference (mixed here; the first
                        call's --play and --record are our voice and ears); video is not
                        mixed: each call goes on sending ours and receiving its party's
    split               back to two calls (the second one held)
  A transfer the other side asks for (REFER) is followed: a new call to the target, which
  replaces the old call once answered; 'call' runs until every call is over.

Run options:
  --for S              stay S seconds (refreshing the registration), then unregister and exit
  --json               print events as JSON, one object per line
  --trace              print every SIP message sent and received (credentials masked)
  -h, --help           this text

Call events (--json): calling, redirected, ringing, early-media, answered (codec, srtp), held,
resumed, video (codec, sending, receiving), video-offered, dtmf, message, stats (each second;
with video: frame rate, size and bit rate each way, key frames asked and received, NACKs), latched (where RTP now goes, learned from what
arrived), ended (reason in words, status, duration), transfer (progress: trying, ringing),
transferred (to, outcome, reason), conference (members, state); and incoming, for listen. Exit status of call: 0 when the call was answered and ended normally, else 1
with the reason on one line ("sip:bob@lab.test is busy (486 Busy Here)").

Examples:
  appel register --aor sip:alice@lab.test --proxy 'sip:127.0.0.1:5061;transport=tls' --ca ca.pem
  appel call sip:bob@lab.test --aor sip:alice@lab.test --proxy sip:127.0.0.1 --play hello.wav --duration 10
  appel listen --listen udp:127.0.0.1:5070 --auto-answer --record 'heard-{n}.wav' --json
  APPEL_PASSWORD=secret appel register --aor sip:alice@lab.test --for 60 --json
  appel message sip:bob@lab.test 'Hello Bob' --aor sip:alice@lab.test
`;
