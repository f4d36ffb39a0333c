/** One figure of every queue over the last hour, drawn with uPlot. */
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import type { QueueSample } from '../types.js';

type Field = 'depth' | 'lag' | 'throughputPerSec';

const COLORS = ['#2563eb', '#dc2626', '#16a34a', '#d97706', '#7c3aed', '#0891b2', '#db2777', '#4b5563'];

export function QueueChart(props: { title: string; field: Field; samples: QueueSample[]; testId: string }) {
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const queues = [...new Set(props.samples.flatMap((s) => s.queues.map((q) => q.queue)))].sort();
  const key = queues.join('\n');

  const data = (): uPlot.AlignedData => [
    props.samples.map((s) => s.at / 1000),
    ...queues.map((name) =>
      props.samples.map((s) => s.queues.find((q) => q.queue === name)?.[props.field] ?? null),
    ),
  ];

  useEffect(() => {
    if (!host.current) return;
    const chart = new uPlot(
      {
        title: props.title,
        width: Math.max(280, host.current.clientWidth),
        height: 180,
        series: [{}, ...queues.map((q, i) => ({ label: q, stroke: COLORS[i % COLORS.length], width: 2 }))],
        axes: [{}, { size: 60 }],
        scales: {
          x: { time: true, auto: false },
          y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] },
        },
      },
      data(),
      host.current,
    );
    plot.current = chart;
    const resize = () =>
      host.current && chart.setSize({ width: Math.max(280, host.current.clientWidth), height: 180 });
    window.addEventListener('resize', resize);
    return () => {
      window.removeEventListener('resize', resize);
      chart.destroy();
      plot.current = null;
    };
  }, [key]);

  useEffect(() => {
    const chart = plot.current;
    if (!chart) return;
    chart.setData(data(), false);
    // The samples kept, at least a minute wide (a lone first sample would stretch the axis over years).
    const xs = props.samples.map((s) => s.at / 1000);
    const max = xs.length > 0 ? xs[xs.length - 1] : Date.now() / 1000;
    chart.setScale('x', { min: Math.min(xs[0] ?? max, max - 60), max });
  });

  return <div class="chart" ref={host} data-testid={props.testId} data-points={props.samples.length} />;
}
