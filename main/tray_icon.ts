// The tray icon, drawn in code (no image files to ship or load): a round face in the app's colour,
// with a red dot when there are unread messages. BGRA pixels for nativeImage.createFromBitmap.
export function trayIconBitmap(size: number, unread: boolean): Buffer {
  const px = Buffer.alloc(size * size * 4);
  const c = (size - 1) / 2;
  const r = size * 0.45;
  const dotR = size * 0.2;
  const dot = { x: size - dotR - 0.5, y: dotR - 0.5 };
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const i = (y * size + x) * 4;
      const inFace = (x - c) ** 2 + (y - c) ** 2 <= r * r;
      const inDot = unread && (x - dot.x) ** 2 + (y - dot.y) ** 2 <= dotR * dotR;
      // BGRA
      if (inDot) px.set([0x30, 0x30, 0xe0, 0xff], i);
      else if (inFace) px.set([0x3c, 0x8c, 0xe8, 0xff], i); // warm orange
    }
  }
  return px;
}
