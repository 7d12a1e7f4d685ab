/**
 * A TCP connection to a port inside a test's network namespace, from the test process outside it.
 *
 * The namespace's loopback is private (netns.ts), so the test cannot connect to a peer's control
 * port (baresip's ctrl_tcp) directly. A tiny Node process started inside the namespace connects
 * for us and relays bytes over its stdin/stdout. It retries the connection every 50 ms until the
 * peer listens (a bounded wait on the readiness signal itself), says `connected` on stderr, and
 * exits when either side closes.
 */
import type { ChildProcess } from 'node:child_process';
import type { NetNs } from './netns.ts';
import { stopProcess } from './netns.ts';
import { NODE } from './appel-cli.ts';

const RELAY = `
const net = require('node:net');
const port = Number(process.argv[1]);
const deadline = Date.now() + Number(process.argv[2]);
function attempt() {
  const socket = net.connect(port, '127.0.0.1');
  socket.once('error', () => {
    socket.destroy();
    if (Date.now() > deadline) process.exit(2);
    setTimeout(attempt, 50);
  });
  socket.once('connect', () => {
    socket.removeAllListeners('error');
    socket.on('error', () => process.exit(1));
    socket.on('close', () => process.exit(0));
    process.stdin.on('end', () => socket.end());
    process.stdin.pipe(socket);
    socket.pipe(process.stdout);
    process.stderr.write('connected\\n');
  });
}
attempt();
`;

export class TcpBridge {
  private readonly child: ChildProcess;
  private closed = false;

  private constructor(child: ChildProcess) {
    this.child = child;
  }

  /**
   * Connects to 127.0.0.1:`port` inside `ns`, retrying until something listens there; rejects
   * after `timeoutMs`. `onData` gets every chunk the peer sends, `onClose` is called once.
   */
  static open(ns: NetNs, options: { port: number; timeoutMs: number; onData: (chunk: Buffer) => void; onClose?: () => void }): Promise<TcpBridge> {
    const child = ns.spawn(NODE, ['-e', RELAY, String(options.port), String(options.timeoutMs)], { stdio: ['pipe', 'pipe', 'pipe'] });
    const bridge = new TcpBridge(child);
    child.stdout!.on('data', (d: Buffer) => options.onData(d));
    child.stdin!.on('error', () => {});
    return new Promise((resolve, reject) => {
      let err = '';
      const onStderr = (d: Buffer) => {
        err += d.toString();
        if (err.includes('connected\n')) {
          child.stderr!.off('data', onStderr);
          child.off('exit', onEarlyExit);
          child.once('exit', () => {
            bridge.closed = true;
            options.onClose?.();
          });
          resolve(bridge);
        }
      };
      const onEarlyExit = (code: number | null) => {
        bridge.closed = true;
        reject(new Error(`could not connect to tcp port ${options.port} in the namespace within ${options.timeoutMs} ms (relay exit ${code}) ${err.trim()}`));
      };
      child.stderr!.on('data', onStderr);
      child.once('exit', onEarlyExit);
    });
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  write(bytes: Buffer): void {
    if (!this.closed) this.child.stdin!.write(bytes);
  }

  /** Half-closes towards the peer, then stops the relay (bounded). */
  async close(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.stdin!.end();
    await stopProcess(this.child, 1_000);
  }
}
