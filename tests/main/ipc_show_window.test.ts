// app:show-window: a notification clicked while the window is hidden in the tray brings it back
// (the page's window.focus() cannot show a hidden Electron window). The handler validates like the rest.
import { describe, expect, it } from 'vitest';
import { createIpcHandlers, IpcPayloadError } from '../../main/ipc_handlers.ts';
import type { HostController } from '../../main/hosting/controller.ts';

function handlersCounting() {
  let shown = 0;
  const unused = () => {
    throw new Error('not part of this test');
  };
  const handlers = createIpcHandlers({
    appInfo: () => ({ name: 'Meowtrix', version: 'test', platform: process.platform, electronVersion: 'none' }),
    host: {} as HostController, // app:show-window never touches hosting
    showWindow: () => (shown += 1),
    chooseBackupFile: unused,
    chooseRestoreFile: unused,
    restore: unused,
    backup: unused,
  });
  return { handlers, shown: () => shown };
}

describe('app:show-window', () => {
  it('shows the window once per call', async () => {
    const { handlers, shown } = handlersCounting();
    await handlers['app:show-window']([]);
    expect(shown()).toBe(1);
    await handlers['app:show-window']([]);
    expect(shown()).toBe(2);
  });

  it('refuses arguments and does nothing then', async () => {
    const { handlers, shown } = handlersCounting();
    await expect(handlers['app:show-window'](['now'])).rejects.toBeInstanceOf(IpcPayloadError);
    await expect(handlers['app:show-window']([{ x: 1 }, 2])).rejects.toBeInstanceOf(IpcPayloadError);
    expect(shown()).toBe(0);
  });
});
