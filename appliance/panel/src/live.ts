// The live stream (GET /api/v1/events, Server-Sent Events): one EventSource for the whole panel, shared by the
// pages that listen. The browser reconnects by itself (the server sends retry: 3000); `useLiveStatus` shows
// whether it is connected.
import { useEffect, useState } from 'preact/hooks';

export type LiveEventName = 'traffic' | 'attack' | 'mitigation' | 'peers';
type Handler = (data: unknown) => void;

const handlers = new Map<LiveEventName, Set<Handler>>();
const statusListeners = new Set<(open: boolean) => void>();
let source: EventSource | undefined;
let open = false;

function setOpen(value: boolean): void {
  open = value;
  for (const l of statusListeners) l(value);
}

function ensureSource(): void {
  if (source !== undefined) return;
  source = new EventSource('/api/v1/events', { withCredentials: true });
  source.onopen = () => setOpen(true);
  source.onerror = () => setOpen(false);
  for (const name of ['traffic', 'attack', 'mitigation', 'peers'] as const) {
    source.addEventListener(name, (event) => {
      let data: unknown;
      try {
        data = JSON.parse((event as MessageEvent<string>).data);
      } catch {
        return;
      }
      for (const h of handlers.get(name) ?? []) h(data);
    });
  }
}

/** Closes the stream (at logout). */
export function closeLive(): void {
  source?.close();
  source = undefined;
  setOpen(false);
}

/** Calls `handler` for every `name` event while the component is mounted. */
export function useLiveEvent(name: LiveEventName, handler: Handler): void {
  useEffect(() => {
    ensureSource();
    let set = handlers.get(name);
    if (set === undefined) handlers.set(name, (set = new Set()));
    set.add(handler);
    return () => set.delete(handler);
  }, [name, handler]);
}

export function useLiveStatus(): boolean {
  const [state, setState] = useState(open);
  useEffect(() => {
    ensureSource();
    statusListeners.add(setState);
    setState(open);
    return () => statusListeners.delete(setState);
  }, []);
  return state;
}
