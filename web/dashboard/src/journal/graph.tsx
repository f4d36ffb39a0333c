/** An event's causal graph drawn with Cytoscape: causes above, effects below, colored by type. */
import cytoscape from 'cytoscape';
import { useEffect, useRef, useState } from 'preact/hooks';
import { get } from '../api.js';
import { ErrorLine } from '../components.js';
import { usePoll } from '../hooks.js';
import type { CausalGraph } from '../types.js';

const PALETTE = ['#2563eb', '#16a34a', '#d97706', '#7c3aed', '#0891b2', '#db2777', '#65a30d', '#dc2626'];

/** The same type gets the same color on every page. */
function colorOf(type: string): string {
  let h = 0;
  for (const c of type) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return PALETTE[h % PALETTE.length];
}

const FIRST_PAGE = 100;
const MOST = 500;

export function CausalGraphView(props: { id: string; onOpen: (id: string) => void }) {
  const [limit, setLimit] = useState(FIRST_PAGE);
  const { value: graph, error } = usePoll(
    () => get<CausalGraph>(`journal/events/${encodeURIComponent(props.id)}/graph`, { limit }),
    0,
    [props.id, limit],
  );
  const host = useRef<HTMLDivElement>(null);
  const onOpen = useRef(props.onOpen);
  onOpen.current = props.onOpen;

  useEffect(() => {
    if (!graph || !host.current) return;
    const hasCause = new Set(graph.edges.map((e) => e.to));
    const cy = cytoscape({
      container: host.current,
      elements: [
        ...graph.nodes.map((e) => ({
          data: { id: e.id, label: e.type, color: colorOf(e.type) },
          classes: [
            e.id === graph.root ? 'root' : '',
            e.correlationId === graph.correlationId ? 'correlated' : '',
          ].join(' '),
        })),
        ...graph.edges.map((e) => ({ data: { id: `${e.from}>${e.to}`, source: e.from, target: e.to } })),
      ],
      style: [
        {
          selector: 'node',
          style: {
            'background-color': 'data(color)',
            label: 'data(label)',
            'font-size': 11,
            'text-valign': 'bottom',
            'text-margin-y': 4,
            width: 22,
            height: 22,
          },
        },
        { selector: 'node.correlated', style: { 'border-width': 3, 'border-color': '#facc15' } },
        { selector: 'node.root', style: { width: 34, height: 34, shape: 'diamond' } },
        {
          selector: 'edge',
          style: {
            width: 2,
            'line-color': '#94a3b8',
            'target-arrow-color': '#94a3b8',
            'target-arrow-shape': 'triangle',
            'curve-style': 'bezier',
          },
        },
      ],
      layout: {
        name: 'breadthfirst',
        directed: true,
        roots: graph.nodes.filter((n) => !hasCause.has(n.id)).map((n) => n.id),
        spacingFactor: 1.1,
      },
    });
    cy.on('tap', 'node', (e) => onOpen.current(e.target.id()));
    host.current.dataset.drawn = String(cy.nodes().length); // what was drawn, for tests to read
    return () => cy.destroy();
  }, [graph]);

  const types = [...new Set(graph?.nodes.map((n) => n.type) ?? [])].sort();
  return (
    <div class="graph-view">
      <ErrorLine error={error} />
      <div class="legend">
        {types.map((t) => (
          <span key={t}>
            <i style={{ background: colorOf(t) }} /> {t}
          </span>
        ))}
        <span>
          <i class="correlated" /> same correlation
        </span>
      </div>
      <div
        class="graph"
        ref={host}
        data-testid="causal-graph"
        data-nodes={graph?.nodes.length ?? ''}
        data-edges={graph?.edges.length ?? ''}
      />
      {graph?.truncated && (
        <p class="status">
          Showing the first {graph.nodes.length} events of a larger graph.{' '}
          {limit < MOST && (
            <button type="button" onClick={() => setLimit(Math.min(MOST, limit * 2))}>
              Show more
            </button>
          )}
        </p>
      )}
    </div>
  );
}
