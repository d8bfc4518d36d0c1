// Entry point of the dashboard webview (bundled by esbuild as an iife).

import {
  provideVSCodeDesignSystem,
  vsCodeButton,
  vsCodeCheckbox,
  vsCodeDropdown,
  vsCodeOption,
  vsCodeProgressRing,
  vsCodeRadio,
  vsCodeRadioGroup,
} from '@vscode/webview-ui-toolkit';
import { Dashboard, type PersistedState } from './dashboard';
import { watchTheme } from './theme';
import { getVsCodeApi } from './vscodeApi';

provideVSCodeDesignSystem().register(
  vsCodeButton(),
  vsCodeCheckbox(),
  vsCodeDropdown(),
  vsCodeOption(),
  vsCodeProgressRing(),
  vsCodeRadio(),
  vsCodeRadioGroup(),
);

const api = getVsCodeApi<PersistedState>();
const root = document.getElementById('app') ?? document.body;
// The host names the Mermaid bundle on this script's tag; it is loaded when a pipeline is shown.
const script = document.currentScript instanceof HTMLScriptElement ? document.currentScript : undefined;
const mermaidSrc = script?.dataset.mermaidSrc;
// The strings in the editor's language come on the tag too: the first paint is already translated.
const dashboard = new Dashboard(root, api, { mermaidSrc, strings: parseStrings(script?.dataset.strings) });
dashboard.restore(api.getState());
window.addEventListener('message', (event: MessageEvent<unknown>) => dashboard.handleMessage(event.data));
watchTheme(() => dashboard.onThemeChange());
api.postMessage({ type: 'ready' });

function parseStrings(json: string | undefined): Record<string, string> | undefined {
  if (!json) return undefined;
  try {
    const value = JSON.parse(json) as unknown;
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, string>) : undefined;
  } catch {
    return undefined;
  }
}
