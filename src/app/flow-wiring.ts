/**
 * @module app/flow-wiring
 * The flow settings the proxy reads (flow/settings.ts) from the `flow:` config section: secrets
 * decoded (secretFile read here, once, at build), the key ring and the node map. Without keys a
 * random key is drawn for this process, and one warning says what that costs: every Path and
 * Record-Route token issued dies with the process (Kamailio's outbound module without
 * flow_token_secret behaves so), and no other node can check this node's tokens.
 * With HA on and no keys configured, the ring and the node map come from Redis instead
 * (ha/flow-sync.ts, started by node.ts before SIP): the settings are then swappable, beginning
 * with a key of this process until the shared ring is loaded.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { SiplbError } from '../errors.js';
import { KeyRing, MIN_SECRET_BYTES, type FlowKey } from '../flow/key-ring.js';
import { decodeSecret } from '../flow/secret.js';
import type { FlowSettings } from '../flow/settings.js';
import { StaticFlowSettings } from '../flow/static-settings.js';
import { SwappableFlowSettings } from '../flow/swappable-settings.js';

function keyOf(k: Config['flow']['keys'][number]): FlowKey {
  let text = k.secret;
  if (text === undefined) {
    try {
      text = readFileSync(k.secretFile!, 'utf8');
    } catch (err) {
      throw new SiplbError('SIPLB_ERR_CONFIG_READ', `flow.keys id ${k.id}: cannot read secretFile ${k.secretFile}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
    }
  }
  const r = decodeSecret(text);
  // The reason names the fault only, never the secret.
  if (!r.ok) throw new SiplbError('SIPLB_ERR_CONFIG_INVALID', `flow.keys id ${k.id}: ${r.reason}`);
  return { id: k.id, secret: r.secret };
}

export function buildFlowSettings(config: Config, log: Logger): FlowSettings {
  const f = config.flow;
  let ring: KeyRing;
  if (f.keys.length === 0 && config.ha.redis !== undefined) {
    log.info({ component: 'flow' }, `flow.keys is empty and HA is on: flow tokens are signed with the key ring shared in Redis (${config.ha.key}:flow:keys)`);
    return new SwappableFlowSettings({ id: 0, secret: randomBytes(MIN_SECRET_BYTES) }, f.nodeId, f.nodes, f.pathForUdp);
  }
  if (f.keys.length === 0) {
    ring = new KeyRing([{ id: 0, secret: randomBytes(MIN_SECRET_BYTES) }], 0);
    log.warn(
      { component: 'flow' },
      'flow.keys is empty: flow tokens (Path, Record-Route) are signed with a random key drawn at start, so they stop verifying after a restart and on other nodes; set flow.keys (e.g. a secret from `openssl rand -hex 32`, the same on every node), or turn on HA (ha.redis) to share one through Redis',
    );
  } else {
    ring = new KeyRing(f.keys.map(keyOf), f.signingKey ?? f.keys[0]!.id);
  }
  return new StaticFlowSettings(ring, f.nodeId, f.nodes, f.pathForUdp);
}
