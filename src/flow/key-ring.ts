/**
 * @module flow/key-ring
 * The keys that sign and verify flow tokens (./token.ts). One key signs; every key on the ring
 * verifies, so a key can be rotated without breaking the Paths and Record-Routes stored with live
 * registrations and dialogs: add the new key (it verifies), make it the signing key, and retire
 * the old one after the longest registration plus dialog lifetime (TRANSPORTS.md §5).
 *
 * Every node of a cluster must hold the same ring, or a token issued by one node fails the check
 * on another (Kamailio's outbound module draws a random key per process unless flow_token_secret
 * is set: its tokens die with a restart). Pure: the secrets come from the config or from Redis.
 */

/** A key id is one byte of the token. */
export const MAX_KEY_ID = 255;
/** HMAC-SHA-256 keys shorter than the hash output weaken it (RFC 2104 §3): at least 32 bytes. */
export const MIN_SECRET_BYTES = 32;

export interface FlowKey {
  readonly id: number;
  readonly secret: Buffer;
}

export class KeyRing {
  readonly signing: FlowKey;
  readonly #byId: ReadonlyMap<number, FlowKey>;

  /** Throws a RangeError naming the fault (checked earlier by the config schema). */
  constructor(keys: readonly FlowKey[], signingId: number) {
    const byId = new Map<number, FlowKey>();
    for (const k of keys) {
      if (!Number.isInteger(k.id) || k.id < 0 || k.id > MAX_KEY_ID) throw new RangeError(`flow key id ${k.id} is not 0..${MAX_KEY_ID}`);
      if (k.secret.length < MIN_SECRET_BYTES) throw new RangeError(`flow key ${k.id} has ${k.secret.length} bytes; at least ${MIN_SECRET_BYTES} are needed`);
      if (byId.has(k.id)) throw new RangeError(`flow key id ${k.id} appears twice`);
      byId.set(k.id, k);
    }
    const signing = byId.get(signingId);
    if (signing === undefined) throw new RangeError(`the signing flow key ${signingId} is not on the ring`);
    this.signing = signing;
    this.#byId = byId;
  }

  get(id: number): FlowKey | undefined {
    return this.#byId.get(id);
  }

  get ids(): number[] {
    return [...this.#byId.keys()];
  }
}
