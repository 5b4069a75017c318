// Map and Set operations per datagram kind of bench/micro/call-path.mjs's call, by call site:
// how many get/has/set/delete (Map) and has/add/delete (Set) each of the call's 7 datagrams makes,
// with the type of the key (a fresh string key is hashed again by every table it meets).
// The prototypes are wrapped only while call-path's measured loop runs (its CALLGRIND_MARKS
// markers turn counting on and off); node's internals count too (diagnostics channels...).
//
// Usage: npm run build && node bench/micro/map-ops.mjs   (CALLS=64 by default: slow, it takes a stack per operation)
// Prints one line per (kind, operation, key type, caller) with the count per call, then the totals per kind.
import process from 'node:process';
import { Buffer } from 'node:buffer';

process.env.CALLS ??= '64';
process.env.ROUNDS = '1';
process.env.CALLGRIND_MARKS = '1';
const KINDS = ['INVITE', '100', '180', '200/INVITE', 'ACK', 'BYE', '200/BYE'];
const BURST = Number(process.env.BURST ?? 32);
let on = false;
let datagram = -1;
const counts = new Map();
const mapGet = Map.prototype.get;
const mapSet = Map.prototype.set;
const getuid = process.getuid;
const getgid = process.getgid;
process.getuid = () => ((on = true), getuid());
process.getgid = () => ((on = false), getgid());
// call-path hands each datagram to the proxy as a view on its one large receive buffer.
const subarray = Buffer.prototype.subarray;
Buffer.prototype.subarray = function (start, end) {
  if (on && this.length > 100_000) datagram++;
  return subarray.call(this, start, end);
};
function wrap(proto, op, label) {
  const orig = proto[op];
  proto[op] = function (...args) {
    if (on && this !== counts) {
      on = false;
      const kind = KINDS[Math.floor((datagram % (BURST * KINDS.length)) / BURST)];
      const site = (new Error().stack ?? '').split('\n')[2]?.trim().replace(/\(.*\/(dist|node:internal)\//, '($1/') ?? '?';
      const key = `${kind}\t${label}.${op}\t${typeof args[0]}\t${site}`;
      mapSet.call(counts, key, (mapGet.call(counts, key) ?? 0) + 1);
      on = true;
    }
    return orig.apply(this, args);
  };
}
for (const op of ['get', 'has', 'set', 'delete']) wrap(Map.prototype, op, 'Map');
for (const op of ['has', 'add', 'delete']) wrap(Set.prototype, op, 'Set');
process.on('exit', () => {
  const calls = Number(process.env.CALLS);
  const perKind = {};
  for (const [key, n] of [...counts].sort()) {
    const kind = key.split('\t')[0];
    perKind[kind] = Math.round(((perKind[kind] ?? 0) + n / calls) * 100) / 100;
    console.log(`${(n / calls).toFixed(2).padStart(6)} ${key}`);
  }
  console.log(JSON.stringify({ bench: 'map-ops', calls, per_call_by_kind: perKind }));
});
await import('./call-path.mjs');
