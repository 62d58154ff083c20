import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  contrastRatio,
  cssVariables,
  followSystemTheme,
  type MediaWatch,
  type Palette,
  THEMES,
  themeFor,
} from './theme.js';

type Key = keyof Palette;

/** Text drawn on a background: WCAG 1.4.3 asks 4.5:1 (7:1 at AAA, which the contrast themes meet). */
const TEXT: [Key, Key][] = [
  ['fg', 'bg'],
  ['fg', 'surface'],
  ['muted', 'bg'],
  ['muted', 'surface'],
  ['onAccent', 'accent'],
  ['onBad', 'bad'],
  // the state words and the error sentence are written in the state colours
  ['ok', 'bg'],
  ['ok', 'surface'],
  ['busy', 'bg'],
  ['busy', 'surface'],
  ['bad', 'bg'],
  ['bad', 'surface'],
  ['accent', 'bg'],
  ['accent', 'surface'],
];

/**
 * Non-text: input borders, the focus ring, the state icons and buttons against what surrounds them (1.4.11: 3:1).
 * The ring is drawn 2 px outside the control, so it sits on the background, never on the button's own colour.
 */
const UI: [Key, Key][] = [
  ['border', 'bg'],
  ['border', 'surface'],
  ['focus', 'bg'],
  ['focus', 'surface'],
  ['accent', 'bg'],
  ['bad', 'bg'],
  ['ok', 'bg'],
  ['busy', 'bg'],
];

test('the WCAG contrast ratio matches the published reference values', () => {
  assert.equal(contrastRatio('#000000', '#ffffff'), 21);
  assert.equal(contrastRatio('#777777', '#777777'), 1);
  // #767676 on white is the well-known lightest grey that passes 4.5:1
  assert.ok(contrastRatio('#767676', '#ffffff') >= 4.5);
  assert.ok(contrastRatio('#777777', '#ffffff') < 4.5);
  assert.throws(() => contrastRatio('red', '#ffffff'), /not a #rrggbb colour/);
});

for (const [name, palette] of Object.entries(THEMES)) {
  const textMinimum = name.endsWith('-contrast') ? 7 : 4.5;
  test(`${name}: every text pair reaches ${textMinimum}:1 and every UI pair 3:1`, () => {
    const failures = [
      ...TEXT.map(([fg, bg]) => [fg, bg, contrastRatio(palette[fg], palette[bg]), textMinimum] as const),
      ...UI.map(([fg, bg]) => [fg, bg, contrastRatio(palette[fg], palette[bg]), 3] as const),
    ]
      .filter(([, , ratio, minimum]) => ratio < minimum)
      .map(([fg, bg, ratio, minimum]) => `${fg} on ${bg}: ${ratio.toFixed(2)} < ${minimum}`);
    assert.deepEqual(failures, []);
  });
}

test('the OS preference picks the theme, and each token becomes a kebab-case CSS variable', () => {
  assert.equal(themeFor({ dark: false, moreContrast: false }), 'light');
  assert.equal(themeFor({ dark: true, moreContrast: true }), 'dark-contrast');
  const variables = new Map(cssVariables(THEMES.dark));
  assert.equal(variables.get('--on-accent'), THEMES.dark.onAccent);
  assert.equal(variables.size, Object.keys(THEMES.dark).length);
});

test('the root follows the OS: dark when it turns dark, back to light, and stops listening when asked', () => {
  const properties = new Map<string, string>();
  const root = { style: { setProperty: (p: string, v: string) => properties.set(p, v), colorScheme: '' }, dataset: {} };
  const listeners = new Set<() => void>();
  const dark = {
    matches: false,
    addEventListener: (_: 'change', l: () => void) => listeners.add(l),
    removeEventListener: (_: 'change', l: () => void) => listeners.delete(l),
  };
  const never: MediaWatch = { matches: false, addEventListener: () => {}, removeEventListener: () => {} };
  const stop = followSystemTheme(root, (query) => (query.includes('color-scheme') ? dark : never));
  assert.equal(properties.get('--bg'), THEMES.light.bg);
  assert.equal(root.style.colorScheme, 'light');
  dark.matches = true;
  for (const listener of listeners) listener();
  assert.equal(properties.get('--bg'), THEMES.dark.bg);
  assert.equal(root.style.colorScheme, 'dark');
  assert.deepEqual(root.dataset, { theme: 'dark' });
  stop();
  assert.equal(listeners.size, 0);
});
