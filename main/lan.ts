// The addresses phones type into FluffyChat, from the server's own listing.
import { lanUrls } from '../server/net.ts';
import type { BindChoice } from './settings/settings.ts';

export function bindAddress(bind: BindChoice): string {
  return bind === 'lan' ? '0.0.0.0' : '127.0.0.1';
}

/** Every URL a phone can use; empty when the server is bound to this PC only. */
export function phoneUrls(port: number, bind: BindChoice): string[] {
  return bind === 'lan' ? lanUrls(port, bindAddress(bind)) : [];
}
