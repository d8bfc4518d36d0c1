// An esbuild plugin for the Mermaid bundle (dist/mermaid.js). Mermaid imports
// each diagram type (and KaTeX, and its other layouts) lazily with import();
// in one iife bundle esbuild would inline all of them (3.5 MB minified). The
// pipeline is a flowchart laid out by dagre: every other lazy import becomes a
// module that throws, which leaves under 1 MB. Used by scripts/build.mjs and
// by the webview tests, which build the same bundle.

const KEPT = /\/(flowDiagram|dagre|sizeCapture)-[A-Z0-9]+\.mjs$/;
const MERMAID = /[\\/]node_modules[\\/]mermaid[\\/]/;

export const mermaidFlowchartOnly = {
  name: 'mermaid-flowchart-only',
  setup(build) {
    build.onResolve({ filter: /.*/ }, (args) => {
      if (args.kind !== 'dynamic-import' || !MERMAID.test(args.importer) || KEPT.test(args.path)) return undefined;
      return { path: args.path, namespace: 'mermaid-left-out' };
    });
    build.onLoad({ filter: /.*/, namespace: 'mermaid-left-out' }, (args) => ({
      contents: `throw new Error(${JSON.stringify(`Model Lab bundles only Mermaid flowcharts (${args.path} is left out)`)});`,
      loader: 'js',
    }));
  },
};
