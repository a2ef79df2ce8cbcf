// The few files the pages load: the tool's own script and style, and uPlot's
// dist files read from node_modules (no CDN: the tool works on a closed network
// and the CSP allows only 'self').
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const uplotDir = dirname(createRequire(import.meta.url).resolve('uplot'));
// src/gui: the assets beside the sources; dist/src/gui: back in src/gui/assets.
const assets = [join(here, 'assets'), join(here, '../../../src/gui/assets')];

function asset(name: string): () => string {
  let cached: string | null = null;
  return () => {
    if (cached) return cached;
    for (const dir of assets) {
      try {
        return (cached = readFileSync(join(dir, name), 'utf8'));
      } catch {
        // try the next place
      }
    }
    throw new Error(`gui asset ${name} not found`);
  };
}

function uplot(name: string): () => string {
  let cached: string | null = null;
  return () => (cached ??= readFileSync(join(uplotDir, name), 'utf8'));
}

export const STATIC_FILES: Record<string, { type: string; body: () => string }> = {
  'gui.js': { type: 'text/javascript; charset=utf-8', body: asset('gui.js') },
  'gui.css': { type: 'text/css; charset=utf-8', body: asset('gui.css') },
  'uPlot.iife.min.js': { type: 'text/javascript; charset=utf-8', body: uplot('uPlot.iife.min.js') },
  'uPlot.min.css': { type: 'text/css; charset=utf-8', body: uplot('uPlot.min.css') },
};
