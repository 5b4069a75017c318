import { describe, expect, it, vi } from 'vitest';
import { pino } from 'pino';
import { buildProxyCore, type ProxyCore } from '../../../src/app/proxy-core.js';
import { planReload } from '../../../src/app/reload-plan.js';
import { validateConfig } from '../../../src/config/validate.js';
import type { Config } from '../../../src/config/schema.js';
import { MessageClock } from '../../../src/runtime/message-clock.js';

function config(extra: Record<string, unknown> = {}): Config {
  const r = validateConfig({
    sip: { listen: '127.0.0.1:5060' },
    backends: [
      { id: 'gw1', address: '192.0.2.1:5060' },
      { id: 'gw2', address: '192.0.2.2:5060' },
    ],
    ...extra,
  });
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.config;
}

/** A core whose health reads the config a reload installed, as app.ts wires it. */
function core(initial: Config): { core: ProxyCore; reload(next: Config): void } {
  let current = initial;
  const c = buildProxyCore(initial, {
    log: pino({ level: 'silent' }),
    clock: new MessageClock(() => 0),
    sender: { send: () => {} },
    currentConfig: () => current,
  });
  return {
    core: c,
    reload(next) {
      const plan = planReload(current, next);
      current = next;
      c.reconfigure(next, plan);
    },
  };
}

describe('ProxyCore.reconfigure', () => {
  it('replaces the backends and gives a new one its health record', () => {
    const { core: c, reload } = core(config());
    reload(config({ backends: [{ id: 'gw1', address: '192.0.2.1:5060' }, { id: 'gw3', address: '192.0.2.3:5060' }] }));
    expect(c.backends.all.map((b) => b.id)).toEqual(['gw1', 'gw3']);
    expect(c.health.view('gw3')).toBeDefined();
    expect(c.health.view('gw2')).toBeUndefined();
  });

  it('keeps the balancer unless the mode or the ring size changes', () => {
    const { core: c, reload } = core(config());
    const first = c.ctx.balancer();
    reload(config({ balance: { hashKey: 'from-user' } }));
    expect(c.ctx.balancer()).toBe(first);
    reload(config({ balance: { hashKey: 'from-user', vnodes: 500 } }));
    expect(c.ctx.balancer()).not.toBe(first);
  });

  it('builds the routing key and registration affinity afresh on every reload', () => {
    const { core: c, reload } = core(config());
    const { routingKey, registrations } = c.ctx;
    reload(config());
    expect(c.ctx.routingKey).not.toBe(routingKey);
    expect(c.ctx.registrations).not.toBe(registrations);
  });

  it('updates serial failover in place, and clears and rebuilds it when it is turned off or on', () => {
    const { core: c, reload } = core(config());
    const running = c.ctx.failover!;
    expect(running).toBeDefined();
    const setOptions = vi.spyOn(running, 'setOptions');
    const clear = vi.spyOn(running, 'clear');
    reload(config({ failover: { codes: [503, 408] } }));
    expect(c.ctx.failover).toBe(running); // its calls in progress go on
    expect(setOptions).toHaveBeenCalledOnce();
    expect([...setOptions.mock.calls[0]![0].codes]).toEqual([503, 408]);
    reload(config({ failover: { enabled: false } }));
    expect(clear).toHaveBeenCalledOnce(); // its timer stopped, its calls forgotten
    expect(c.ctx.failover).toBeUndefined();
    reload(config());
    expect(c.ctx.failover).toBeDefined();
    expect(c.ctx.failover).not.toBe(running);
  });

  it('passes the new passive and security options on', () => {
    const { core: c, reload } = core(config());
    const passive = vi.spyOn(c.passive, 'setOptions');
    const security = vi.spyOn(c.security, 'reconfigure');
    reload(config({ passive: { consecutive503: 7 } }));
    expect(passive.mock.calls[0]![0].consecutive503).toBe(7);
    expect(security).toHaveBeenCalledOnce();
  });
});
