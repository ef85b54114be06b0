// The session's SecurityCenter, given by the chat view to the components below it (timeline shields,
// member list, settings), so they need no extra props threaded through.
import { getContext, setContext } from 'svelte';
import type { SecurityCenter } from './security.svelte.ts';

const KEY = Symbol('security');

export function provideSecurity(security: SecurityCenter): void {
  setContext(KEY, security);
}

/** The SecurityCenter, or null outside a logged-in chat view. */
export function useSecurity(): SecurityCenter | null {
  return getContext<SecurityCenter | undefined>(KEY) ?? null;
}
