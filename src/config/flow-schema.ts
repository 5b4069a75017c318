/**
 * @module config/flow-schema
 * The `flow:` section: what siplb needs to name a client's flow in the Path (RFC 3327) and
 * Record-Route it adds, and to find that flow again from any node of a cluster (RFC 5626 §5.2
 * flow tokens, src/flow/token.ts). The keys sign and verify tokens; every node of a cluster must
 * hold the same keys and the same node map. Secrets are checked here but never echoed in an
 * error message. Pure: zod and sibling pure modules only.
 */
import { z } from 'zod';
import { MAX_KEY_ID } from '../flow/key-ring.js';
import { decodeSecret } from '../flow/secret.js';
import { address, doc, int } from './fields.js';

const secret = z.string().superRefine((v, ctx) => {
  const r = decodeSecret(v);
  // The message names the fault only: a secret must never reach a log or a terminal.
  if (!r.ok) ctx.addIssue({ code: 'custom', message: r.reason });
});

const FlowKeySchema = z
  .strictObject({
    id: doc(int(0, MAX_KEY_ID), {
      description: 'Key id, 0..255, written into every token the key signs so any node can find the key to check it with. Required.',
      example: 1,
    }),
    secret: doc(secret.optional(), {
      description:
        'The HMAC-SHA-256 key: hex or base64, at least 32 bytes once decoded. Never logged. Give this or secretFile. Default: unset.',
      example: '0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0',
      hint: 'generate one with `openssl rand -hex 32`',
    }),
    secretFile: doc(z.string().min(1).regex(/^\//).optional(), {
      description: 'Absolute path of a file holding the secret (hex or base64, trailing newline allowed), read at start. Default: unset.',
      example: '/etc/siplb/flow-key-1',
      hint: 'use an absolute path, e.g. /etc/siplb/flow-key-1 (mode 0600, owner siplb)',
    }),
  })
  .superRefine((k, ctx) => {
    if ((k.secret === undefined) === (k.secretFile === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'a flow key needs exactly one of secret and secretFile', path: ['secret'] });
    }
  });

const FlowNodeSchema = z.strictObject({
  id: doc(int(0, 65535), {
    description: 'Node id (flow.nodeId of that node). Required.',
    example: 2,
  }),
  address: doc(address(), {
    description:
      "The node's own internal SIP address (not the VIP): where other nodes relay a request whose token that node issued, and, for this node's own entry, the address its Path and flow Record-Route name. Required.",
    example: '10.0.0.2:5060',
  }),
  transport: doc(z.enum(['udp', 'tcp']).default('udp'), {
    description: 'Transport other nodes relay over to this address. Default: "udp".',
    example: 'tcp',
  }),
});

export const FlowSchema = z
  .strictObject({
    nodeId: doc(int(0, 65535).default(0), {
      description: 'This node\'s id in flow tokens (0..65535), unique in the cluster: a token names the node that holds the client\'s connection. Default: 0.',
      example: 1,
    }),
    keys: doc(z.array(FlowKeySchema).max(MAX_KEY_ID + 1).prefault([]), {
      description:
        'Keys that sign and verify flow tokens; the same on every node. To rotate: add the new key, make it signingKey, remove the old one after the longest registration plus dialog lifetime. Default: [] — with HA on (ha.redis) the ring is shared through Redis (<ha.key>:flow:keys) and nodes announce their addresses there; without HA a random key per process start (tokens die with a restart, and a warning says so).',
      example: [{ id: 1, secretFile: '/etc/siplb/flow-key-1' }],
    }),
    signingKey: doc(int(0, MAX_KEY_ID).optional(), {
      description: 'Id of the key that signs new tokens; the others only verify. Default: the only key (required with several).',
      example: 2,
    }),
    nodes: doc(z.array(FlowNodeSchema).max(65536).prefault([]), {
      description:
        'Every node of the cluster with its internal SIP address, for relaying a request carrying another node\'s token there. Requests from these addresses count as relayed by a peer. Default: [] (a single node).',
      example: [
        { id: 1, address: '10.0.0.1:5060' },
        { id: 2, address: '10.0.0.2:5060' },
      ],
    }),
    pathForUdp: doc(z.boolean().default(false), {
      description:
        'Add a Path with a flow token to REGISTERs from UDP clients too (stream and WebSocket clients always get one): the registrar then reaches a NATed UDP client at the address its REGISTER came from. Default: false.',
      example: true,
    }),
  })
  .superRefine((f, ctx) => {
    const ids = new Set<number>();
    f.keys.forEach((k, i) => {
      if (ids.has(k.id)) ctx.addIssue({ code: 'custom', message: `flow key id ${k.id} appears twice`, path: ['keys', i, 'id'] });
      ids.add(k.id);
    });
    if (f.signingKey !== undefined && !ids.has(f.signingKey)) {
      ctx.addIssue({ code: 'custom', message: `signingKey ${f.signingKey} is not the id of one of flow.keys`, path: ['signingKey'] });
    }
    if (f.signingKey === undefined && f.keys.length > 1) {
      ctx.addIssue({ code: 'custom', message: 'with several flow.keys, signingKey must say which one signs', path: ['signingKey'] });
    }
    const nodes = new Set<number>();
    f.nodes.forEach((n, i) => {
      if (nodes.has(n.id)) ctx.addIssue({ code: 'custom', message: `flow node id ${n.id} appears twice`, path: ['nodes', i, 'id'] });
      nodes.add(n.id);
    });
  });

export type FlowConfig = z.output<typeof FlowSchema>;
