/**
 * The window's colours, the one source of truth: main.tsx sets them as CSS custom properties (--bg, --fg, …) on the
 * root element for the theme the OS asks for, and styles.css only names the variables. theme.test.ts checks every
 * pair the styles draw on each other against WCAG 2.2 contrast ratios.
 */

export interface Palette {
  /** window background */
  bg: string;
  /** cards and panels on the background */
  surface: string;
  fg: string;
  /** secondary text */
  muted: string;
  /** borders of inputs and buttons */
  border: string;
  accent: string;
  /** text on the accent colour (the Connect button) */
  onAccent: string;
  /** connected */
  ok: string;
  /** connecting, reconnecting */
  busy: string;
  /** error, and the Disconnect button */
  bad: string;
  /** text on the bad colour */
  onBad: string;
  /** keyboard focus ring */
  focus: string;
}

export type ThemeName = 'light' | 'dark' | 'light-contrast' | 'dark-contrast';

const light: Palette = {
  bg: '#ffffff',
  surface: '#f2f4f7',
  fg: '#14181f',
  muted: '#4f5866',
  border: '#7a8494',
  accent: '#1d5fd1',
  onAccent: '#ffffff',
  ok: '#137236',
  busy: '#8a5000',
  bad: '#b3261e',
  onBad: '#ffffff',
  focus: '#6a2fb0',
};

const dark: Palette = {
  bg: '#11151b',
  surface: '#1b222c',
  fg: '#e9edf2',
  muted: '#a7b1bd',
  border: '#758194',
  accent: '#84b3ff',
  onAccent: '#0b1220',
  ok: '#55c98f',
  busy: '#f2b85a',
  bad: '#ff8f86',
  onBad: '#1a0604',
  focus: '#ffd166',
};

/** `prefers-contrast: more`: text near black/white and stronger borders; the state colours stay recognisable. */
const lightContrast: Palette = {
  ...light,
  surface: '#ffffff',
  fg: '#000000',
  muted: '#262c35',
  border: '#000000',
  accent: '#0b3f99',
  ok: '#0a4d23',
  busy: '#5c3500',
  bad: '#7f1a14',
  focus: '#4b1583',
};

const darkContrast: Palette = {
  ...dark,
  bg: '#000000',
  surface: '#000000',
  fg: '#ffffff',
  muted: '#dde3ea',
  border: '#ffffff',
  accent: '#b5d0ff',
  ok: '#8ee6b8',
  busy: '#ffd48f',
  bad: '#ffb8b2',
  focus: '#ffe08a',
};

export const THEMES: Record<ThemeName, Palette> = {
  light,
  dark,
  'light-contrast': lightContrast,
  'dark-contrast': darkContrast,
};

/** The theme for what the OS asks: dark or light, with more contrast when asked. */
export function themeFor(prefers: { dark: boolean; moreContrast: boolean }): ThemeName {
  const base = prefers.dark ? 'dark' : 'light';
  return prefers.moreContrast ? `${base}-contrast` : base;
}

/** The palette as CSS custom properties: `onAccent` becomes `--on-accent`. */
export function cssVariables(palette: Palette): [string, string][] {
  return Object.entries(palette).map(([key, value]) => [
    `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`,
    value,
  ]);
}

/** The parts of the root element and of a MediaQueryList the theme needs (plain types: tested under Node too). */
export interface ThemeRoot {
  style: { setProperty(property: string, value: string): void; colorScheme: string };
  dataset: Record<string, string | undefined>;
}
export interface MediaWatch {
  readonly matches: boolean;
  addEventListener(type: 'change', listener: () => void): void;
  removeEventListener(type: 'change', listener: () => void): void;
}

/**
 * Keeps the root element's colours on the OS theme, now and whenever it changes. Setting properties through the
 * CSSOM is not inline style in the CSP's sense, so `style-src 'self'` stays strict.
 */
export function followSystemTheme(root: ThemeRoot, media: (query: string) => MediaWatch): () => void {
  const dark = media('(prefers-color-scheme: dark)');
  const moreContrast = media('(prefers-contrast: more)');
  const apply = () => {
    const name = themeFor({ dark: dark.matches, moreContrast: moreContrast.matches });
    for (const [property, value] of cssVariables(THEMES[name])) root.style.setProperty(property, value);
    root.style.colorScheme = name.startsWith('dark') ? 'dark' : 'light';
    root.dataset.theme = name;
  };
  apply();
  dark.addEventListener('change', apply);
  moreContrast.addEventListener('change', apply);
  return () => {
    dark.removeEventListener('change', apply);
    moreContrast.removeEventListener('change', apply);
  };
}

/** WCAG 2.2 relative luminance of a #rrggbb colour. */
export function luminance(hex: string): number {
  const match = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  if (match === null) throw new Error(`not a #rrggbb colour: ${hex}`);
  const [r, g, b] = match.slice(1).map((part) => {
    const c = Number.parseInt(part, 16) / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** WCAG contrast ratio between two colours, 1 to 21. */
export function contrastRatio(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}
