import type { Plugin } from 'esbuild';

/** Keeps only Mermaid's flowchart (and dagre layout) out of its lazily imported modules. */
export declare const mermaidFlowchartOnly: Plugin;
