// Pure room modules against the spec's own vectors: canonical JSON, signing, content and
// reference hashes, the v10/v11 redaction algorithms, and the auth rules.
import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { canonicalJson, CanonicalJsonError } from '../../server/rooms/canonical_json.ts';
import { loadOrCreateSigningKey, signingKeyFromSeed } from '../../server/rooms/signing_key.ts';
import { contentHash, hashAndSign, referenceEventId } from '../../server/rooms/hashing.ts';
import { redactEvent } from '../../server/rooms/redaction.ts';
import { ROOM_VERSIONS } from '../../server/rooms/versions.ts';
import { checkAuth, AuthError, type AuthState, type CandidateEvent } from '../../server/rooms/auth_rules.ts';
import type { JsonObject } from '../../server/http/body.ts';

const v10 = ROOM_VERSIONS['10']!;
const v11 = ROOM_VERSIONS['11']!;

describe('canonical JSON (spec appendix examples)', () => {
  const cases: [unknown, string][] = [
    [{}, '{}'],
    [{ one: 1, two: 'Two' }, '{"one":1,"two":"Two"}'],
    [{ b: '2', a: '1' }, '{"a":"1","b":"2"}'],
    [
      { auth: { success: true, mxid: '@john.doe:example.com', profile: { display_name: 'John Doe', three_pids: [{ medium: 'email', address: 'john.doe@example.org' }, { medium: 'msisdn', address: '123456789' }] } } },
      '{"auth":{"mxid":"@john.doe:example.com","profile":{"display_name":"John Doe","three_pids":[{"address":"john.doe@example.org","medium":"email"},{"address":"123456789","medium":"msisdn"}]},"success":true}}',
    ],
    [{ a: '日本語' }, '{"a":"日本語"}'],
    [{ 本: 2, 日: 1 }, '{"日":1,"本":2}'],
    [{ a: '\u65E5' }, '{"a":"日"}'],
    [{ a: null }, '{"a":null}'],
    [{ a: -0, b: 1e10 }, '{"a":0,"b":10000000000}'],
  ];
  for (const [input, expected] of cases) {
    it(`encodes ${JSON.stringify(input)}`, () => expect(canonicalJson(input)).toBe(expected));
  }

  it('escapes control characters per the grammar and sorts by codepoint beyond the BMP', () => {
    expect(canonicalJson({ a: '\u0001\b\n"\\' })).toBe('{"a":"\\u0001\\b\\n\\"\\\\"}');
    // U+10000 sorts after U+FFFF by codepoint even though its UTF-16 lead unit (D800) is smaller.
    expect(canonicalJson({ '\u{10000}': 1, '\uffff': 2 })).toBe('{"\uffff":2,"\u{10000}":1}');
  });

  it('refuses floats and integers outside ±(2^53-1)', () => {
    expect(() => canonicalJson({ a: 1.5 })).toThrow(CanonicalJsonError);
    expect(() => canonicalJson({ a: 2 ** 53 })).toThrow(CanonicalJsonError);
  });
});

describe('signing (spec cryptographic test vectors)', () => {
  const key = signingKeyFromSeed('ed25519:1', Buffer.from('YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1', 'base64'));

  it('signs JSON objects as the spec shows', () => {
    expect(key.sign(canonicalJson({}))).toBe('K8280/U9SSy9IVtjBuVeLr+HpOB4BQFWbg+UZaADMtTdGYI7Geitb76LTrr5QV/7Xg4ahLwYGYZzuHGZKM5ZAQ');
    expect(key.sign(canonicalJson({ one: 1, two: 'Two' }))).toBe('KqmLSbO39/Bzb0QIYE82zqLwsA+PDzYIpIRA2sRQ4sL53+sN6/fpNSoqE7BP7vBZhG6kYdD13EIMJpvhJI+6Bw');
  });

  it('hashes and signs the minimal event', () => {
    const event: JsonObject = {
      room_id: '!x:domain', sender: '@a:domain', origin: 'domain', origin_server_ts: 1000000, signatures: {}, hashes: {},
      type: 'X', content: {}, prev_events: [], auth_events: [], depth: 3, unsigned: { age_ts: 1000000 },
    };
    hashAndSign(event, v10, 'domain', key);
    expect(event.hashes).toEqual({ sha256: '5jM4wQpv6lnBo7CLIghJuHdW+s2CMBJPUOGOC89ncos' });
    expect(event.signatures).toEqual({ domain: { 'ed25519:1': 'KxwGjPSDEtvnFgU00fwFz+l6d2pJM6XBIaMEn81SXPTRl16AqLAYqfIReFGZlHi5KLjAWbOoMszkwsQma+lYAg' } });
  });

  it('hashes and signs an event with redactable content (the signature covers the redacted form)', () => {
    const event: JsonObject = {
      content: { body: 'Here is the message content' }, event_id: '$0:domain', origin: 'domain', origin_server_ts: 1000000,
      type: 'm.room.message', room_id: '!r:domain', sender: '@u:domain', signatures: {}, unsigned: { age_ts: 1000000 },
    };
    hashAndSign(event, v10, 'domain', key);
    expect(event.hashes).toEqual({ sha256: 'onLKD1bGljeBWQhWZ1kaP9SorVmRQNdN5aM2JYU2n/g' });
    expect((event.signatures as JsonObject).domain).toEqual({ 'ed25519:1': 'Wm+VzmOUOz08Ds+0NTWb1d4CZrVsJSikkeRxh6aCcUwu6pNC78FunoD7KNWzqFn241eYHYMGCA5McEiVPdhzBA' });
    // Redacting the content does not change the signature or the reference hash.
    const redacted = redactEvent(event, v10);
    expect(redacted.content).toEqual({});
    expect(referenceEventId(redacted, v10)).toBe(referenceEventId(event, v10));
    expect(contentHash(redacted)).not.toBe((event.hashes as JsonObject).sha256);
  });

  it('gives reference-hash event IDs in the unpadded base64url v4 format', () => {
    const event: JsonObject = { type: 'm.room.message', room_id: '!r:d', sender: '@u:d', content: { body: 'x' }, depth: 2, prev_events: [], auth_events: [], origin_server_ts: 5 };
    const id = hashAndSign(event, v10, 'd', key);
    expect(id).toMatch(/^\$[A-Za-z0-9_-]{43}$/);
    expect(referenceEventId(event, v10)).toBe(id);
  });

  it('keeps the key in the data dir, 0600, and the same key ID on every start', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meowtrix-key-'));
    try {
      const first = loadOrCreateSigningKey(dir);
      const second = loadOrCreateSigningKey(dir);
      expect(first.keyId).toMatch(/^ed25519:a_[A-Za-z0-9]{4}$/);
      expect(second.keyId).toBe(first.keyId);
      expect(second.publicKeyBase64).toBe(first.publicKeyBase64);
      expect(fs.statSync(path.join(dir, 'signing.key')).mode & 0o777).toBe(0o600);
      const sig = first.sign('hello');
      expect(second.verify('hello', sig)).toBe(true);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('redaction algorithms', () => {
  const base = { event_id: '$e', room_id: '!r:d', sender: '@u:d', origin: 'd', origin_server_ts: 1, depth: 1, prev_events: [], auth_events: [], hashes: { sha256: 'x' }, signatures: {}, unsigned: { age: 1 }, membership: 'join', prev_state: [] };

  it('v10 keeps origin, membership and prev_state; v11 drops them', () => {
    const e = { ...base, type: 'm.room.message', content: { body: 'secret' } };
    const r10 = redactEvent(e, v10);
    const r11 = redactEvent(e, v11);
    expect(r10).toMatchObject({ origin: 'd', membership: 'join', prev_state: [], content: {} });
    expect(r10.unsigned).toBeUndefined();
    expect(r11.origin).toBeUndefined();
    expect(r11.membership).toBeUndefined();
    expect(r11.prev_state).toBeUndefined();
  });

  it('v10 keeps only creator of m.room.create; v11 keeps all of it', () => {
    const e = { ...base, type: 'm.room.create', content: { creator: '@u:d', room_version: '10', type: 'm.space' } };
    expect(redactEvent(e, v10).content).toEqual({ creator: '@u:d' });
    expect(redactEvent(e, v11).content).toEqual({ creator: '@u:d', room_version: '10', type: 'm.space' });
  });

  it('power levels keep invite only in v11; redactions keep redacts only in v11', () => {
    const pl = { ...base, type: 'm.room.power_levels', content: { ban: 50, invite: 0, users: { '@u:d': 100 }, notifications: { room: 50 } } };
    expect(redactEvent(pl, v10).content).toEqual({ ban: 50, users: { '@u:d': 100 } });
    expect(redactEvent(pl, v11).content).toEqual({ ban: 50, invite: 0, users: { '@u:d': 100 } });
    const red = { ...base, type: 'm.room.redaction', content: { redacts: '$x', reason: 'spam' } };
    expect(redactEvent(red, v10).content).toEqual({});
    expect(redactEvent(red, v11).content).toEqual({ redacts: '$x' });
  });

  it('member events keep membership (and v11 keeps third_party_invite.signed)', () => {
    const m = { ...base, type: 'm.room.member', state_key: '@u:d', content: { membership: 'invite', displayname: 'U', third_party_invite: { signed: { a: 1 }, display_name: 'x' } } };
    expect(redactEvent(m, v10).content).toEqual({ membership: 'invite' });
    expect(redactEvent(m, v11).content).toEqual({ membership: 'invite', third_party_invite: { signed: { a: 1 } } });
  });
});

describe('auth rules (v10/v11)', () => {
  const creator = '@anna:d';
  function room(state: Record<string, JsonObject>, onlyCreate = false): AuthState {
    return { content: (t, k) => state[`${t}|${k}`], creator, onlyCreateSoFar: onlyCreate };
  }
  const baseState = (extra: Record<string, JsonObject> = {}) => ({
    'm.room.create|': { creator, room_version: '10' },
    [`m.room.member|${creator}`]: { membership: 'join' },
    'm.room.power_levels|': { users: { [creator]: 100 }, state_default: 50, events_default: 0, ban: 50, kick: 50, invite: 0, events: { 'm.room.name': 50 } },
    'm.room.join_rules|': { join_rule: 'invite' },
    ...extra,
  });
  const ev = (e: Partial<CandidateEvent> & { type: string; sender: string }): CandidateEvent => ({ room_id: '!r:d', content: {}, prev_events: ['$p'], ...e });
  const allowed = (e: CandidateEvent, s: AuthState, v = v10) => {
    try {
      checkAuth(e, s, v);
      return true;
    } catch (err) {
      if (err instanceof AuthError) return false;
      throw err;
    }
  };

  it('create: first event only, creator required in v10 but not v11', () => {
    expect(allowed(ev({ type: 'm.room.create', sender: creator, prev_events: [], content: { creator, room_version: '10' } }), room({}))).toBe(true);
    expect(allowed(ev({ type: 'm.room.create', sender: creator, prev_events: ['$x'], content: { creator } }), room({}))).toBe(false);
    expect(allowed(ev({ type: 'm.room.create', sender: creator, prev_events: [], content: {} }), room({}), v10)).toBe(false);
    expect(allowed(ev({ type: 'm.room.create', sender: creator, prev_events: [], content: {} }), room({}), v11)).toBe(true);
    expect(allowed(ev({ type: 'm.room.create', sender: '@x:other', prev_events: [], content: { creator: '@x:other' } }), room({}))).toBe(false);
  });

  it('join: creator right after create; invite-only rooms need an invite; public rooms do not; bans hold', () => {
    expect(allowed(ev({ type: 'm.room.member', sender: creator, state_key: creator, content: { membership: 'join' } }), room({ 'm.room.create|': { creator } }, true))).toBe(true);
    const bob = '@bob:d';
    expect(allowed(ev({ type: 'm.room.member', sender: bob, state_key: bob, content: { membership: 'join' } }), room(baseState()))).toBe(false);
    expect(allowed(ev({ type: 'm.room.member', sender: bob, state_key: bob, content: { membership: 'join' } }), room(baseState({ [`m.room.member|${bob}`]: { membership: 'invite' } })))).toBe(true);
    expect(allowed(ev({ type: 'm.room.member', sender: bob, state_key: bob, content: { membership: 'join' } }), room(baseState({ 'm.room.join_rules|': { join_rule: 'public' } })))).toBe(true);
    expect(allowed(ev({ type: 'm.room.member', sender: bob, state_key: bob, content: { membership: 'join' } }), room(baseState({ 'm.room.join_rules|': { join_rule: 'public' }, [`m.room.member|${bob}`]: { membership: 'ban' } })))).toBe(false);
    expect(allowed(ev({ type: 'm.room.member', sender: creator, state_key: bob, content: { membership: 'join' } }), room(baseState({ 'm.room.join_rules|': { join_rule: 'public' } })))).toBe(false);
  });

  it('invite, kick, ban and unban follow the power levels', () => {
    const bob = '@bob:d';
    const carl = '@carl:d';
    const s = baseState({ [`m.room.member|${bob}`]: { membership: 'join' }, 'm.room.power_levels|': { users: { [creator]: 100 }, invite: 50, kick: 50, ban: 50 } });
    expect(allowed(ev({ type: 'm.room.member', sender: bob, state_key: carl, content: { membership: 'invite' } }), room(s))).toBe(false);
    expect(allowed(ev({ type: 'm.room.member', sender: creator, state_key: carl, content: { membership: 'invite' } }), room(s))).toBe(true);
    expect(allowed(ev({ type: 'm.room.member', sender: bob, state_key: creator, content: { membership: 'leave' } }), room(s))).toBe(false);
    expect(allowed(ev({ type: 'm.room.member', sender: creator, state_key: bob, content: { membership: 'leave' } }), room(s))).toBe(true);
    expect(allowed(ev({ type: 'm.room.member', sender: creator, state_key: bob, content: { membership: 'ban' } }), room(s))).toBe(true);
    expect(allowed(ev({ type: 'm.room.member', sender: bob, state_key: bob, content: { membership: 'leave' } }), room(s))).toBe(true);
    const banned = { ...s, [`m.room.member|${carl}`]: { membership: 'ban' } };
    expect(allowed(ev({ type: 'm.room.member', sender: carl, state_key: carl, content: { membership: 'leave' } }), room(banned))).toBe(false);
  });

  it('knock needs a knock join rule and no current membership', () => {
    const bob = '@bob:d';
    expect(allowed(ev({ type: 'm.room.member', sender: bob, state_key: bob, content: { membership: 'knock' } }), room(baseState()))).toBe(false);
    expect(allowed(ev({ type: 'm.room.member', sender: bob, state_key: bob, content: { membership: 'knock' } }), room(baseState({ 'm.room.join_rules|': { join_rule: 'knock' } })))).toBe(true);
    expect(allowed(ev({ type: 'm.room.member', sender: bob, state_key: bob, content: { membership: 'knock' } }), room(baseState({ 'm.room.join_rules|': { join_rule: 'knock_restricted' }, [`m.room.member|${bob}`]: { membership: 'invite' } })))).toBe(false);
  });

  it('state and messages need membership and enough power; @-state keys belong to their user', () => {
    const bob = '@bob:d';
    const s = baseState({ [`m.room.member|${bob}`]: { membership: 'join' } });
    expect(allowed(ev({ type: 'm.room.name', sender: bob, state_key: '', content: { name: 'x' } }), room(s))).toBe(false);
    expect(allowed(ev({ type: 'm.room.name', sender: creator, state_key: '', content: { name: 'x' } }), room(s))).toBe(true);
    expect(allowed(ev({ type: 'm.room.message', sender: bob, content: { body: 'hi' } }), room(s))).toBe(true);
    expect(allowed(ev({ type: 'm.room.message', sender: '@eve:d', content: { body: 'hi' } }), room(s))).toBe(false);
    expect(allowed(ev({ type: 'x.custom', sender: creator, state_key: bob, content: {} }), room(s))).toBe(false);
  });

  it('power level changes: integers only, no raising above yourself, no touching equals', () => {
    const bob = '@bob:d';
    const s = baseState({ [`m.room.member|${bob}`]: { membership: 'join' }, 'm.room.power_levels|': { users: { [creator]: 100, [bob]: 50 }, events: { 'm.room.power_levels': 50 } } });
    const pl = (content: JsonObject, sender = bob) => ev({ type: 'm.room.power_levels', sender, state_key: '', content });
    expect(allowed(pl({ users: { [creator]: 100, [bob]: 50 }, events: { 'm.room.power_levels': 50 }, kick: '50' as unknown as number }), room(s))).toBe(false);
    expect(allowed(pl({ users: { [creator]: 100, [bob]: 60 }, events: { 'm.room.power_levels': 50 } }), room(s))).toBe(false);
    expect(allowed(pl({ users: { [creator]: 0, [bob]: 50 }, events: { 'm.room.power_levels': 50 } }), room(s))).toBe(false);
    expect(allowed(pl({ users: { [creator]: 100, [bob]: 50, '@carl:d': 50 }, events: { 'm.room.power_levels': 50 } }), room(s))).toBe(true);
    expect(allowed(pl({ users: { [creator]: 100, [bob]: 50, 'not-a-user': 1 }, events: { 'm.room.power_levels': 50 } }), room(s))).toBe(false);
  });
});
