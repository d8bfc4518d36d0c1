// The hand-off between the dashboard bundle (dist/webview.js) and the Mermaid
// bundle (dist/mermaid.js), which the dashboard loads only when it has a
// pipeline to draw. Both are classic scripts; the Mermaid one puts its
// renderer on `window` when it has run.

/** Colours and font Mermaid lays the diagram out with (resolved values, not CSS variables: Mermaid computes shades from them). */
export interface MermaidLook {
  fontFamily: string;
  /** Pixels. */
  fontSize: number;
  background: string;
  foreground: string;
  border: string;
  line: string;
  /** Whether the editor theme is dark (Mermaid derives some shades from it). */
  dark: boolean;
}

export interface MermaidRenderer {
  /**
   * Lays out and draws the diagram; resolves to the SVG element, not yet in
   * the page. Mermaid measures text in the live page, so it draws into
   * `container` (briefly), where the page's own font rules apply.
   */
  render(id: string, text: string, container: HTMLElement, look: MermaidLook): Promise<SVGSVGElement>;
  /** Resolves when the text is a diagram Mermaid understands; rejects with its parse error otherwise. */
  parse(text: string): Promise<void>;
}

declare global {
  interface Window {
    modelLabMermaid?: MermaidRenderer;
  }
}
