/**
 * Which UDP engine the siplb under test runs on: SIPLB_UDP_ENGINE (native | dgram | auto) when
 * set, written into the config as sip.udpEngine unless the test chose one itself. The e2e tier
 * runs once with the accelerator (scripts/test.sh sets native) and the UDP files run again on
 * node:dgram (vitest project e2e-dgram), so both I/O paths pass the same behaviour tests.
 */
export function withUdpEngine(config: Record<string, unknown>): Record<string, unknown> {
  const key = udpEngineKey();
  if (key.udpEngine === undefined) return config;
  const sip = (config['sip'] as Record<string, unknown> | undefined) ?? {};
  if (sip['udpEngine'] !== undefined) return config;
  return { ...config, sip: { ...sip, ...key } };
}

/** `{ udpEngine }` to spread into a test's `sip` section when it rewrites its own config file. */
export function udpEngineKey(): { udpEngine?: string } {
  const engine = process.env['SIPLB_UDP_ENGINE'];
  return engine === undefined || engine === '' ? {} : { udpEngine: engine };
}
