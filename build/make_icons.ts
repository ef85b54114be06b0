// Renders build/icon.svg into the PNG sizes Linux desktops look for (hicolor theme, electron-builder's
// build/icons/NxN.png). Run after changing the SVG: `node build/make_icons.ts`; the PNGs are committed.
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';

export const ICON_SIZES = [16, 24, 32, 48, 64, 128, 256, 512] as const;
export const ICON_SVG = path.join(import.meta.dirname, 'icon.svg');
export const ICON_DIR = path.join(import.meta.dirname, 'icons');

/** One size as PNG. Rasterised at the target size (density scales the 512-unit viewBox), not shrunk from a big bitmap. */
export function renderIcon(size: number): Promise<Buffer> {
  return sharp(ICON_SVG, { density: (72 * size) / 512 })
    .resize(size, size)
    .png({ compressionLevel: 9 })
    .toBuffer();
}

if (import.meta.main) {
  fs.mkdirSync(ICON_DIR, { recursive: true });
  for (const size of ICON_SIZES) fs.writeFileSync(path.join(ICON_DIR, `${size}x${size}.png`), await renderIcon(size));
  console.log(`wrote ${ICON_SIZES.map((s) => `${s}x${s}.png`).join(', ')} to ${path.relative(process.cwd(), ICON_DIR)}`);
}
