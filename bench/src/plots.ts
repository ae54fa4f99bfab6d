/**
 * Charts for docs/benchmarks.md: each scenario describes its chart as a Vega-Lite spec over its
 * own numbers; this file compiles it to Vega and renders SVG headlessly (`renderer: 'none'`
 * needs neither a browser nor a native canvas).
 */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/** Size and font shared by every chart, so the page looks like one document. */
const CONFIG = {
  // No ARIA attributes on marks and guides: see `plain` below.
  aria: false,
  axis: { aria: false, labelFontSize: 11, titleFontSize: 12 },
  legend: { aria: false, labelFontSize: 11, titleFontSize: 12, labelLimit: 320 },
  font: 'Helvetica, Arial, sans-serif',
  view: { continuousWidth: 420, continuousHeight: 280 },
} as const;

/** The chart as an SVG document whose <title> is `title`. */
export async function renderSvg(spec: TopLevelSpec, title: string): Promise<string> {
  const withConfig = { ...spec, config: { ...CONFIG, ...spec.config } } as TopLevelSpec;
  const view = new vega.View(vega.parse(compile(withConfig).spec), { renderer: 'none' });
  try {
    const svg = plain(await view.toSVG());
    const open = svg.indexOf('>', svg.indexOf('<svg')) + 1;
    return `${svg.slice(0, open)}<title>${escapeXml(title)}</title>${svg.slice(open)}\n`;
  } finally {
    view.finalize();
  }
}

/**
 * Without Vega's ARIA attributes: Biome lints docs/*.svg as HTML and flags the SVG graphics roles
 * (graphics-object, graphics-symbol) it puts on groups. The chart is described by its <title>
 * and by the alt text of the page that shows it.
 */
function plain(svg: string): string {
  return svg.replace(/ role="[^"]*"/g, '').replace(/ aria-[a-z]+="[^"]*"/g, '');
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
