/**
 * Runs the test DNS server (test/helpers/dns-server.ts) as its own process, so it can live
 * inside a test's network namespace: the zone comes as JSON in argv[2]; it prints
 * `{"port":N}` once listening and serves until killed.
 */
import { startDnsServer, type DnsZone } from '../../helpers/dns-server.ts';

const zone = JSON.parse(process.argv[2] ?? '{}') as DnsZone;
const server = await startDnsServer(zone);
process.stdout.write(JSON.stringify({ port: server.port }) + '\n');
const stop = () => void server.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
