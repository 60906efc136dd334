// A uPlot time series: x in seconds, one or more y series, with horizontal reference lines (threshold,
// baseline) drawn as constant series. Resizes with its box so it reads on a phone and a laptop alike.
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { si } from '../format';

/** Tick steps of the time axis in seconds: never below one second (the data is per second). */
const SECOND_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 43200, 86400];

export interface ChartSeries {
  label: string;
  values: (number | null)[];
  color: string;
  dash?: number[];
  /** Draw across null values (a series sampled at other times than the chart's other series). */
  spanGaps?: boolean;
}

export interface TimeChartProps {
  /** Times in ms since the epoch. */
  times: number[];
  series: ChartSeries[];
  unit: string;
  height?: number;
}

export function TimeChart({ times, series, unit, height = 220 }: TimeChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | undefined>(undefined);
  const shape = series.map((s) => s.label).join('|');

  useEffect(() => {
    const el = box.current;
    if (el === null) return;
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height,
      legend: { show: true },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] } },
      axes: [{ incrs: SECOND_STEPS }, { size: 70, values: (_u, ticks) => ticks.map((t) => si(t, unit)) }],
      series: [{}, ...series.map((s) => ({ label: s.label, stroke: s.color, width: 2, ...(s.dash !== undefined ? { dash: s.dash } : {}), ...(s.spanGaps === true ? { spanGaps: true } : {}), value: (_u: uPlot, v: number | null) => (v === null ? '–' : si(v, unit)) }))],
    };
    const u = new uPlot(opts, [[], ...series.map(() => [])] as uPlot.AlignedData, el);
    plot.current = u;
    const resize = new ResizeObserver(() => u.setSize({ width: Math.max(200, el.clientWidth), height }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      u.destroy();
      plot.current = undefined;
    };
  }, [shape, unit, height]);

  useEffect(() => {
    plot.current?.setData([times.map((t) => t / 1000), ...series.map((s) => s.values)] as uPlot.AlignedData);
  }, [times, series]);

  // data-points: how many points are drawn (tests read it; uPlot draws on a canvas).
  return <div class="chart" ref={box} data-points={times.length} />;
}
