/**
 * What the scanner's refusals are counted as (proxy/request-checks.ts): each answerable fault
 * gets its own reject reason on the `reject` channel (metrics and logs tell them apart), and only
 * a 420 carries Unsupported (RFC 3261 §20.40, §21.4.15); other faults never do.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { recordChannel, type ChannelRecorder } from '../../helpers/core/channel-recorder.js';
import { proxyRig } from '../../helpers/core/proxy-rig.js';
import { headerValues } from '../../helpers/core/recording-sender.js';
import { CALLER, requestText } from '../../helpers/core/sip-text.js';

let rejects: ChannelRecorder<{ reason: string; status: number; method: string }> | undefined;
afterEach(() => rejects?.stop());

function rejected(text: string): { status: number; reason: string | undefined; unsupported: string[]; warning: string[] } {
  rejects = recordChannel('reject');
  const rig = proxyRig();
  rig.deliver(text, CALLER);
  const d = rig.sender.takeOne();
  rejects.stop();
  expect(d.host).toBe(CALLER.address);
  expect(rejects.messages).toHaveLength(1);
  return {
    status: Number(/^SIP\/2\.0 (\d{3}) /.exec(d.text)?.[1]),
    reason: rejects.messages[0]?.reason,
    unsupported: headerValues(d.text, 'Unsupported'),
    warning: headerValues(d.text, 'Warning'),
  };
}

describe('scanner refusals by reason', () => {
  it('a missing mandatory header: 400, missing-header', () => {
    expect(rejected(requestText().replace(/From: [^\r]*\r\n/, ''))).toMatchObject({ status: 400, reason: 'missing-header', unsupported: [] });
  });

  it('a single-valued header twice: 400, duplicate-header', () => {
    expect(rejected(requestText({ headers: ['CSeq: 1 INVITE'] }))).toMatchObject({ status: 400, reason: 'duplicate-header', unsupported: [] });
  });

  it('a body shorter than Content-Length: 400, body-truncated', () => {
    expect(rejected(requestText({ body: 'v=0\r\n' }).replace('Content-Length: 5', 'Content-Length: 50'))).toMatchObject({ status: 400, reason: 'body-truncated' });
  });

  it('an unknown SIP version: 505, bad-version', () => {
    expect(rejected(requestText().replace('SIP/2.0\r\n', 'SIP/3.0\r\n'))).toMatchObject({ status: 505, reason: 'bad-version' });
  });

  it('anything else the scanner refuses: 400, parse-error', () => {
    expect(rejected(requestText().replace('CSeq: 1 INVITE', 'CSeq: x INVITE'))).toMatchObject({ status: 400, reason: 'parse-error' });
  });
});

describe('proxy checks', () => {
  it('a malformed Max-Forwards: 400 with a Warning and no Unsupported', () => {
    const r = rejected(requestText({ maxForwards: 'abc' }));
    expect(r).toMatchObject({ status: 400, reason: 'bad-request', unsupported: [] });
    expect(r.warning).toEqual(['399 siplb "malformed Max-Forwards"']);
  });

  it('an unsupported Proxy-Require: 420 listing the option tags', () => {
    const r = rejected(requestText({ headers: ['Proxy-Require: foo, bar'] }));
    expect(r).toMatchObject({ status: 420, reason: 'bad-extension' });
    expect(r.unsupported).toEqual(['foo, bar']);
  });
});
