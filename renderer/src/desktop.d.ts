// The Electron preload's bridge; undefined when the renderer runs in a plain browser.
import type { MeowtrixDesktopApi } from '../../main/ipc-contract.ts';

declare global {
  interface Window {
    meowtrix?: MeowtrixDesktopApi;
  }
}
