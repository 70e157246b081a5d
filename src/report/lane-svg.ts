// What the lessons' lane pictures (scale, drain, identity) share: their geometry, their opening,
// the time scale and its ticks.
import { escapeXml } from './format.js';

/** A lane picture's geometry: its width, the lane labels' column (`left`), the plot's width, a lane's height, the first lane's top. */
export interface LaneLayout {
  width: number;
  left: number;
  plot: number;
  laneHeight: number;
  top: number;
}

/** Time `t` (ms since the start, held within 0…end) as x on the plot. */
export function timeX({ left, plot }: LaneLayout, end: number): (t: number) => number {
  return (t) => left + (Math.max(0, Math.min(t, end)) / end) * plot;
}

/** The picture's opening: the svg element, its title, a white ground and the title as its heading. */
export function svgOpening(width: number, height: number, title: string): string[] {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="11" role="img">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="10" y="20" font-size="13" font-weight="bold" fill="#1f2328">${escapeXml(title)}</text>`,
  ];
}

/** Seconds between two ticks of the time axis: at most ten ticks over `endMs`. */
export function tickSeconds(endMs: number): number {
  return [0.5, 1, 2, 5, 10, 15, 30, 60, 120].find((v) => endMs / 1000 / v <= 10) ?? 300;
}
