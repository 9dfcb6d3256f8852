// Headless-browser helpers for the viewer's bench, browser test and screenshot script: where Chromium
// lives ($CHROMIUM_PATH, else Debian's /usr/bin/chromium, else /usr/bin/chromium-browser; nothing is
// downloaded) and the few page globals their in-page functions use (the project compiles without DOM types).

import { existsSync } from 'node:fs';

/** Candidate Chromium executables, in the order they are tried. */
export const CHROMIUM_CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser'] as const;

/** The Chromium executable to launch, or undefined when none is installed (`CHROMIUM_PATH` wins when set). */
export function findChromium(): string | undefined {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  return CHROMIUM_CANDIDATES.find((p) => existsSync(p));
}

/** What `__viewerTimings` holds: milliseconds since navigation start (null until reached). */
export interface ViewerTimings {
  scriptStartMs: number;
  treeParsedMs: number | null;
  renderedMs: number | null;
  firstPaintMs: number | null;
}

export interface PageRect {
  left: number;
  top: number;
  right: number;
  bottom: number;
  width: number;
  height: number;
}

export interface PageElement {
  value: string;
  textContent: string | null;
  click(): void;
  dispatchEvent(event: unknown): boolean;
  getBoundingClientRect(): PageRect;
  classList: { contains(name: string): boolean };
  style: Record<string, string>;
}

/**
 * The browser globals an in-page function may use, typed loosely: write
 * `const g = globalThis as unknown as PageGlobals` inside the function passed to `page.evaluate`.
 */
export interface PageGlobals {
  document: {
    body: PageElement & { dataset: Record<string, string | undefined> };
    getElementById(id: string): PageElement | null;
    querySelector(selector: string): PageElement | null;
    querySelectorAll(selector: string): ArrayLike<PageElement>;
  };
  getComputedStyle(element: PageElement): { backgroundColor: string };
  requestAnimationFrame(callback: () => void): number;
  KeyboardEvent: new (type: string, init: { key: string; bubbles?: boolean; shiftKey?: boolean }) => unknown;
  performance: { now(): number; getEntriesByName(name: string): { startTime: number }[] };
  __viewerTimings?: ViewerTimings;
  __viewerFirstPaintMs?: number;
  __pwned?: unknown;
}
