// Live updates: one EventSource per service the page follows, through the gateway's
// GET /v1/events/{service}. EventSource cannot send headers, so the token travels as
// access_token; the event id is the stream cursor, and the browser resends it as Last-Event-ID
// when it reconnects, so nothing is missed or repeated across a drop.
import { session } from './auth.js';

const SERVICES = ['account', 'contact', 'pricing-terms', 'service-quality'];
const streams = new Map();
const statusListeners = new Set();

function key(service, typePrefix, subjectPrefix) {
  return `${service}|${typePrefix ?? ''}|${subjectPrefix ?? ''}`;
}

// handler(envelope) is called for each event; returns an unsubscribe function.
export function subscribe(service, { typePrefix, subjectPrefix } = {}, handler) {
  if (!SERVICES.includes(service)) throw new Error(`unknown service ${service}`);
  const s = session();
  if (!s) return () => {};
  const k = key(service, typePrefix, subjectPrefix);
  let entry = streams.get(k);
  if (!entry) {
    const params = new URLSearchParams({ access_token: s.token });
    if (typePrefix) params.set('type_prefix', typePrefix);
    if (subjectPrefix) params.set('subject_prefix', subjectPrefix);
    const source = new EventSource(`/v1/events/${service}?${params}`);
    entry = { source, handlers: new Set(), state: 'connecting' };
    const onMessage = (msg) => {
      let data;
      try {
        data = JSON.parse(msg.data);
      } catch {
        return;
      }
      const envelope = data.event ?? data;
      for (const fn of entry.handlers) fn(envelope);
    };
    source.addEventListener('message', onMessage);
    source.addEventListener('open', () => setState(entry, 'open'));
    source.addEventListener('error', () => setState(entry, source.readyState === EventSource.CLOSED ? 'closed' : 'connecting'));
    streams.set(k, entry);
  }
  entry.handlers.add(handler);
  return () => {
    entry.handlers.delete(handler);
    if (entry.handlers.size === 0) {
      entry.source.close();
      streams.delete(k);
      notify();
    }
  };
}

function setState(entry, state) {
  entry.state = state;
  notify();
}

function notify() {
  const states = [...streams.values()].map((e) => e.state);
  const overall = states.length === 0 ? 'idle' : states.every((s) => s === 'open') ? 'open' : states.includes('closed') ? 'closed' : 'connecting';
  for (const fn of statusListeners) fn(overall);
}

export function onLiveStatus(fn) {
  statusListeners.add(fn);
}

export function closeAll() {
  for (const entry of streams.values()) entry.source.close();
  streams.clear();
  notify();
}
