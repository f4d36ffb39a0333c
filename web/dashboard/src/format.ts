/** How numbers, ages and values are written on the page. */

const whole = new Intl.NumberFormat('en');

export const count = (n: number | null | undefined): string => (n == null ? '–' : whole.format(n));

export const rate = (n: number | null | undefined): string =>
  n == null ? '–' : `${n >= 100 ? whole.format(Math.round(n)) : n.toFixed(1)}/s`;

export function age(ms: number | null | undefined): string {
  if (ms == null) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 90) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  if (s < 5400) return `${Math.round(s / 60)} min`;
  if (s < 172_800) return `${(s / 3600).toFixed(1)} h`;
  return `${Math.round(s / 86_400)} d`;
}

export const bytes = (n: number): string =>
  n < 1024 ? `${n} B` : n < 1_048_576 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1_048_576).toFixed(1)} MiB`;

export const time = (at: string | number): string => new Date(at).toLocaleString();
