// The tray icon drawn in code: a BGRA bitmap of the asked size, with the unread dot only when asked.
import { describe, expect, it } from 'vitest';
import { trayIconBitmap } from '../../main/tray_icon.ts';

describe('tray icon', () => {
  it('is size×size BGRA, transparent in the corners, and shows a red dot only when unread', () => {
    const plain = trayIconBitmap(32, false);
    const unread = trayIconBitmap(32, true);
    expect(plain.length).toBe(32 * 32 * 4);
    expect([...plain.subarray(0, 4)]).toEqual([0, 0, 0, 0]);
    const topRight = (buf: Buffer) => [...buf.subarray((4 * 32 + 27) * 4, (4 * 32 + 27) * 4 + 4)];
    expect(topRight(unread)).toEqual([0x30, 0x30, 0xe0, 0xff]);
    expect(topRight(plain)).not.toEqual([0x30, 0x30, 0xe0, 0xff]);
  });
});
