/**
 * @module security/cidr
 * A set of CIDR blocks (`10.0.0.0/8`, `192.0.2.7`, `2001:db8::/32`) and the question "is this
 * source address inside one of them?", asked for every request from a non-backend source. IPv4
 * blocks are (network, mask) number pairs; IPv6 blocks are compared group by group. An
 * IPv4-mapped IPv6 source (::ffff:a.b.c.d, what a dual-stack socket reports) matches IPv4 blocks.
 * Pure; no allocation per lookup for IPv4 sources.
 */
import { mappedIpv4, parseIpv4, parseIpv6 } from './ip.js';

interface V6Block {
  readonly groups: Uint16Array;
  readonly bits: number;
}

/** Parses `text` as `address[/prefix]`: undefined when malformed (config validation reports it). */
export function parseCidr(text: string): { v4: { net: number; mask: number } } | { v6: V6Block } | undefined {
  const slash = text.indexOf('/');
  const addr = slash === -1 ? text : text.slice(0, slash);
  const prefixText = slash === -1 ? undefined : text.slice(slash + 1);
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) return undefined;
  const v4 = parseIpv4(addr);
  if (v4 >= 0) {
    const bits = prefixText === undefined ? 32 : Number(prefixText);
    if (bits > 32) return undefined;
    const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
    return { v4: { net: (v4 & mask) >>> 0, mask } };
  }
  const groups = new Uint16Array(8);
  if (!parseIpv6(addr, groups)) return undefined;
  const bits = prefixText === undefined ? 128 : Number(prefixText);
  if (bits > 128) return undefined;
  return { v6: { groups, bits } };
}

function v6Contains(b: V6Block, g: Uint16Array): boolean {
  let left = b.bits;
  for (let i = 0; i < 8 && left > 0; i++, left -= 16) {
    const mask = left >= 16 ? 0xffff : (0xffff << (16 - left)) & 0xffff;
    if ((g[i]! & mask) !== (b.groups[i]! & mask)) return false;
  }
  return true;
}

export class CidrSet {
  readonly #v4net: Uint32Array;
  readonly #v4mask: Uint32Array;
  readonly #v6: readonly V6Block[];
  /** Scratch for parsing IPv6 sources: reused, so a lookup allocates nothing. */
  readonly #scratch = new Uint16Array(8);

  /** Throws on a malformed entry; the config schema has already refused those. */
  constructor(blocks: readonly string[]) {
    const nets: number[] = [];
    const masks: number[] = [];
    const v6: V6Block[] = [];
    for (const b of blocks) {
      const p = parseCidr(b);
      if (p === undefined) throw new TypeError(`not a CIDR block: ${b}`);
      if ('v4' in p) {
        nets.push(p.v4.net);
        masks.push(p.v4.mask);
      } else v6.push(p.v6);
    }
    this.#v4net = Uint32Array.from(nets);
    this.#v4mask = Uint32Array.from(masks);
    this.#v6 = v6;
  }

  get size(): number {
    return this.#v4net.length + this.#v6.length;
  }

  has(address: string): boolean {
    let v4 = parseIpv4(address);
    if (v4 < 0) {
      const g = this.#scratch;
      if (!parseIpv6(address, g)) return false;
      for (const b of this.#v6) if (v6Contains(b, g)) return true;
      v4 = mappedIpv4(g);
      if (v4 < 0) return false;
    }
    const nets = this.#v4net;
    const masks = this.#v4mask;
    for (let i = 0; i < nets.length; i++) if (((v4 & masks[i]!) >>> 0) === nets[i]) return true;
    return false;
  }
}
