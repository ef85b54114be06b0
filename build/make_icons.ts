// Renders build/icon.svg into the PNG sizes Linux desktops look for (hicolor theme, electron-builder's
// build/icons/NxN.png). Run after changing the SVG: `node build/make_icons.ts`; the PNGs are committed.
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';

export const ICON_SIZES = [16, 24, 32, 48, 64, 128, 256, 512] as const;

const here = import.meta.dirname;
const source = path.join(here, 'icon.svg');
const outDir = path.join(here, 'icons');

fs.mkdirSync(outDir, { recursive: true });
for (const size of ICON_SIZES) {
  // Rasterise at the target size (density scales the 512-unit viewBox) rather than shrinking a big bitmap.
  const density = (72 * size) / 512;
  await sharp(source, { density })
    .resize(size, size)
    .png({ compressionLevel: 9 })
    .toFile(path.join(outDir, `${size}x${size}.png`));
}
console.log(`wrote ${ICON_SIZES.map((s) => `${s}x${s}.png`).join(', ')} to ${path.relative(process.cwd(), outDir)}`);
